import type { CleaningFeedItem, CleaningPublic, MyOfferView, PhreshClient } from 'phresh-live/client';
import type { Alerts } from './alerts.ts';
import { fill, h, reconcile, whileBusy } from './elements.ts';
import { CLEANING_TYPE_LABELS, formatPrice, formatTime, STATUS_HINTS } from './formatting.ts';

/** A job on the board: from the feed (with its owner's name) or pushed live (owner id only). */
type Job = CleaningPublic & { ownerName?: string; postedAt: string; taken?: boolean };

const PAGE = 20;

/**
 * The cleaner's side: the live job board (new jobs appear without a reload), an offer button on each job, and
 * "my offers" with live statuses and Cancel/Rescind buttons.
 */
export function createCleanerView(
  client: PhreshClient,
  alerts: Alerts,
): { element: HTMLElement; start(): Promise<void> } {
  const jobs = new Map<number, Job>();
  const board = h('div', { class: 'stack', 'data-testid': 'job-board' });
  const boardEmpty = h(
    'p',
    { class: 'empty' },
    'No jobs on the board yet. New ones appear here the moment they are posted.',
  );
  const more: HTMLButtonElement = h(
    'button',
    {
      class: 'btn btn-ghost btn-block',
      type: 'button',
      hidden: true,
      onclick: () => whileBusy(more, () => loadPage(true)),
    },
    'Show older jobs',
  );
  const offersList = h('ul', { class: 'offer-list', 'data-testid': 'my-offers' });
  const offersEmpty = h('p', { class: 'empty' }, 'No offers yet. Pick a job on the board and make an offer.');

  const fromFeed = (item: CleaningFeedItem): Job => ({
    ...item,
    owner: item.owner.id,
    ownerName: item.owner.username,
    postedAt: item.created_at,
    taken: jobs.get(item.id)?.taken,
  });

  async function loadPage(older: boolean) {
    const last = older ? [...jobs.values()].sort(byNewest).at(-1) : undefined;
    const page = await client.feed(
      last
        ? { page_chunk_size: PAGE, starting_date: last.postedAt, starting_id: last.id }
        : { page_chunk_size: PAGE },
    );
    for (const item of page) jobs.set(item.id, { ...jobs.get(item.id), ...fromFeed(item) });
    if (older || !more.hidden || jobs.size <= page.length) more.hidden = page.length < PAGE;
    renderBoard();
  }

  function renderBoard() {
    const items = [...jobs.values()].sort(byNewest);
    boardEmpty.hidden = items.length > 0;
    reconcile(board, items, (j) => String(j.id), createJobCard, updateJobCard);
  }

  function createJobCard(job: Job): HTMLElement {
    return h(
      'article',
      { class: 'card job', 'data-cleaning-id': job.id },
      h(
        'header',
        { class: 'card-header' },
        h('div', null, h('h3', { class: 'card-title' }), h('p', { class: 'card-meta' })),
        h('span', { class: 'price' }),
      ),
      h('p', { class: 'card-description' }),
      h('footer', { class: 'card-footer' }),
    );
  }

  function updateJobCard(card: HTMLElement, job: Job) {
    card.querySelector('.card-title')!.textContent = job.name;
    const by = job.owner === client.user?.id ? ' by you' : job.ownerName ? ` by ${job.ownerName}` : '';
    card.querySelector('.card-meta')!.textContent =
      `${CLEANING_TYPE_LABELS[job.cleaning_type]} · posted ${formatTime(job.postedAt)}${by}`;
    card.querySelector('.price')!.textContent = formatPrice(job.price);
    const description = card.querySelector<HTMLElement>('.card-description')!;
    description.textContent = job.description ?? '';
    description.hidden = !job.description;
    card.classList.toggle('taken', Boolean(job.taken));

    const footer = card.querySelector<HTMLElement>('.card-footer')!;
    const mine = client.myOffers().find((o) => o.cleaning_id === job.id);
    // "Taken" only where it tells something: not next to your own accepted or rejected offer.
    const taken =
      job.taken && (!mine || mine.status === 'pending')
        ? h('span', { class: 'pill', 'data-tone': 'muted' }, 'Taken')
        : null;
    if (job.owner === client.user?.id) {
      fill(footer, h('span', { class: 'pill' }, 'Your job'), taken);
    } else if (mine) {
      fill(footer, h('span', { class: 'muted' }, 'Your offer:'), statusBadge(mine.status), taken);
    } else if (
      !footer.querySelector('button[data-action="offer"]') ||
      footer.dataset.taken !== String(Boolean(job.taken))
    ) {
      const offer: HTMLButtonElement = h(
        'button',
        {
          class: 'btn btn-primary',
          type: 'button',
          'data-action': 'offer',
          onclick: () =>
            whileBusy(offer, async () => {
              try {
                await client.createOffer(job.id);
              } catch (e) {
                alerts.fail('Could not make the offer', e);
              }
            }),
        },
        'Make an offer',
      );
      fill(footer, offer, taken);
    }
    footer.dataset.taken = String(Boolean(job.taken));
  }

  function renderMyOffers() {
    const offers = client.myOffers();
    offersEmpty.hidden = offers.length > 0;
    offersList.hidden = offers.length === 0;
    reconcile(offersList, offers, (o) => String(o.cleaning_id), createOfferRow, updateOfferRow);
  }

  function createOfferRow(offer: MyOfferView): HTMLElement {
    return h(
      'li',
      { class: 'offer-item', 'data-cleaning-id': offer.cleaning_id },
      h(
        'div',
        { class: 'offer-job' },
        h('span', { class: 'job-name' }),
        h('span', { class: 'muted job-meta' }, h('span', { class: 'job-price' }), ' · updated ', h('time')),
      ),
      h(
        'div',
        { class: 'offer-status' },
        h('span', { class: 'status', 'data-status': '' }),
        h('span', { class: 'status-hint muted' }),
      ),
      h('div', { class: 'actions' }),
    );
  }

  function updateOfferRow(row: HTMLElement, offer: MyOfferView) {
    const cleaning = offer.cleaning ?? jobs.get(offer.cleaning_id);
    row.querySelector('.job-name')!.textContent = cleaning?.name ?? `Job #${offer.cleaning_id}`;
    row.querySelector('.job-price')!.textContent = cleaning ? formatPrice(cleaning.price) : '';
    const status = row.querySelector<HTMLElement>('.status')!;
    if (status.dataset.status !== offer.status) {
      if (status.dataset.status) {
        row.classList.remove('changed');
        void row.offsetWidth;
        row.classList.add('changed');
      }
      status.dataset.status = offer.status;
      status.textContent = offer.status;
      row.querySelector('.status-hint')!.textContent = STATUS_HINTS[offer.status];
    }
    const time = row.querySelector('time')!;
    time.dateTime = offer.updated_at;
    time.textContent = formatTime(offer.updated_at);
    const actions = row.querySelector<HTMLElement>('.actions')!;
    const wanted =
      offer.status === 'pending' ? 'rescind' : offer.status === 'accepted' ? 'cancel' : undefined;
    if (actions.dataset.action === (wanted ?? '')) return;
    actions.dataset.action = wanted ?? '';
    if (!wanted) return fill(actions);
    const button: HTMLButtonElement = h(
      'button',
      {
        class: wanted === 'cancel' ? 'btn btn-danger btn-sm' : 'btn btn-ghost btn-sm',
        type: 'button',
        title:
          wanted === 'cancel'
            ? 'Back out of the job: the other offers go back to pending'
            : 'Withdraw your offer',
        onclick: () =>
          whileBusy(button, async () => {
            try {
              if (wanted === 'cancel') await client.cancelOffer(offer.cleaning_id);
              else await client.rescindOffer(offer.cleaning_id);
            } catch (e) {
              alerts.fail(
                wanted === 'cancel' ? 'Could not cancel the offer' : 'Could not rescind the offer',
                e,
              );
            }
          }),
      },
      wanted === 'cancel' ? 'Cancel' : 'Rescind',
    );
    fill(actions, button);
  }

  client.on('cleaning:created', (c) => {
    jobs.set(c.id, { ...c, postedAt: c.created_at });
    renderBoard();
  });
  client.on('cleaning:updated', (c) => {
    const known = jobs.get(c.id);
    jobs.set(c.id, { ...known, ...c, postedAt: known?.postedAt ?? c.created_at });
    renderBoard();
  });
  const mark = (c: CleaningPublic, taken: boolean) => {
    const known = jobs.get(c.id);
    if (!known) return;
    jobs.set(c.id, { ...known, ...c, taken });
    renderBoard();
  };
  client.on('cleaning:assigned', (c) => mark(c, true));
  client.on('cleaning:reopened', (c) => mark(c, false));
  client.on('cleaning:deleted', ({ cleaning_id }) => {
    if (jobs.delete(cleaning_id)) renderBoard();
    renderMyOffers();
  });
  client.on('offers', () => {
    renderMyOffers();
    renderBoard();
  });
  // Jobs posted while the connection was down were not pushed: reload the newest page once caught up.
  client.on('synced', ({ reconnected }) => {
    if (reconnected) loadPage(false).catch((e) => alerts.fail('Could not reload the job board', e));
  });

  const element = h(
    'section',
    { class: 'view cleaner-view', 'data-view': 'cleaner', 'aria-labelledby': 'cleaner-title' },
    h(
      'div',
      { class: 'view-intro' },
      h('h2', { id: 'cleaner-title' }, 'Find work'),
      h(
        'p',
        { class: 'muted' },
        'Jobs appear as soon as they are posted. Your offers update the moment the owner decides.',
      ),
    ),
    h(
      'div',
      { class: 'columns' },
      h(
        'div',
        { class: 'column' },
        h('h3', { class: 'section-title' }, 'Job board'),
        boardEmpty,
        board,
        more,
      ),
      h(
        'div',
        { class: 'column' },
        h('h3', { class: 'section-title' }, 'My offers'),
        h('div', { class: 'card card-flush' }, offersEmpty, offersList),
      ),
    ),
  );

  async function start() {
    try {
      await client.subscribeFeed();
      await Promise.all([loadPage(false), client.loadMyOffers()]);
    } catch (e) {
      alerts.fail('Could not load the job board', e);
    }
    renderMyOffers();
    renderBoard();
  }
  return { element, start };
}

function byNewest(a: Job, b: Job): number {
  return b.postedAt.localeCompare(a.postedAt) || b.id - a.id;
}

function statusBadge(status: MyOfferView['status']): HTMLElement {
  return h('span', { class: 'status', 'data-status': status }, status);
}
