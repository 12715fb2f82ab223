import type {
  CleaningFeedItem,
  CleaningPublic,
  CleaningStatus,
  EvaluationPublic,
  MyOfferView,
  PhreshClient,
} from 'phresh-live/client';
import type { Alerts } from './alerts.ts';
import { confirmAction } from './confirm-dialog.ts';
import { fill, h, loadFailed, NEEDS_LIVE, reconcile, skeleton, whileBusy } from './elements.ts';
import { CLEANING_TYPE_LABELS, formatPrice, formatTime, statusHint, statusLabel } from './formatting.ts';
import { profileLink } from './public-profile.ts';
import { evaluationSummary } from './star-rating.ts';

/** A job on the board: from the feed (with its owner's name) or pushed live (owner id only). */
type Job = CleaningPublic & { ownerName?: string; postedAt: string };

/** A job's standing as the board shows it, in the words a cleaner uses. */
const BOARD_STATE: Record<CleaningStatus, { key: string; label: string }> = {
  open: { key: 'open', label: 'Open' },
  assigned: { key: 'taken', label: 'Taken' },
  completed: { key: 'done', label: 'Done' },
};

const PAGE = 20;

/**
 * The cleaner's side: the live job board (new jobs appear without a reload), an offer button on each job, and
 * "my offers" with live statuses and buttons to withdraw an offer or back out of a job. On a phone the two
 * lists are behind a sticky switcher, so that "My offers" is one tap away.
 */
export function createCleanerView(
  client: PhreshClient,
  alerts: Alerts,
  notify: (text: string) => void,
): { element: HTMLElement; start(): Promise<void> } {
  const jobs = new Map<number, Job>();
  /** Jobs whose status a push changed, with when: a feed page read before that must not undo it. */
  const pushedAt = new Map<number, number>();
  let clock = 0;
  /** Evaluations of my completed jobs, by cleaning id: pushed with the completion, or read once after a reload. */
  const evaluations = new Map<number, EvaluationPublic | 'loading'>();
  let loaded = false;
  const board = h('div', { class: 'stack', 'data-testid': 'job-board' });
  const boardLoading = skeleton('Loading the job board…');
  const offersLoading = skeleton('Loading your offers…', 2);
  const boardEmpty = h(
    'p',
    { class: 'empty', hidden: true },
    'No jobs on the board yet. New ones appear here the moment they are posted.',
  );
  const more: HTMLButtonElement = h(
    'button',
    {
      class: 'btn btn-ghost btn-block',
      type: 'button',
      hidden: true,
      [NEEDS_LIVE]: true,
      onclick: () => whileBusy(more, () => loadPage(true)),
    },
    'Show older jobs',
  );
  const offersList = h('ul', { class: 'offer-list', 'data-testid': 'my-offers' });
  const offersEmpty = h(
    'p',
    { class: 'empty', hidden: true },
    'No offers yet. Pick a job on the board and make an offer.',
  );

  const fromFeed = (item: CleaningFeedItem, readAt: number): Job => ({
    ...item,
    owner: item.owner.id,
    ownerName: item.owner.username,
    postedAt: item.created_at,
    status: (pushedAt.get(item.id) ?? -1) > readAt ? jobs.get(item.id)!.status : item.status,
  });

  async function loadPage(older: boolean) {
    const readAt = clock;
    const last = older ? [...jobs.values()].sort(byNewest).at(-1) : undefined;
    const page = await client.feed(
      last
        ? { page_chunk_size: PAGE, starting_date: last.postedAt, starting_id: last.id }
        : { page_chunk_size: PAGE },
    );
    for (const item of page) jobs.set(item.id, { ...jobs.get(item.id), ...fromFeed(item, readAt) });
    if (older || !more.hidden || jobs.size <= page.length) more.hidden = page.length < PAGE;
    renderBoard();
  }

  function renderBoard() {
    const items = [...jobs.values()].sort(byNewest);
    boardLoading.hidden = loaded || items.length > 0;
    boardEmpty.hidden = !loaded || items.length > 0;
    reconcile(board, items, (j) => String(j.id), createJobCard, updateJobCard);
  }

  function createJobCard(job: Job): HTMLElement {
    return h(
      'article',
      { class: 'card job', 'data-cleaning-id': job.id, 'aria-labelledby': `board-job-${job.id}` },
      h(
        'header',
        { class: 'card-header' },
        h(
          'div',
          null,
          h('h3', { class: 'card-title', id: `board-job-${job.id}` }),
          h('p', { class: 'card-meta' }),
        ),
        h('span', { class: 'price' }),
      ),
      h('p', { class: 'card-description' }),
      h('footer', { class: 'card-footer' }),
    );
  }

  function updateJobCard(card: HTMLElement, job: Job) {
    card.querySelector('.card-title')!.textContent = job.name;
    const meta = card.querySelector<HTMLElement>('.card-meta')!;
    const what = `${CLEANING_TYPE_LABELS[job.cleaning_type] ?? job.cleaning_type} · posted ${formatTime(job.postedAt)}`;
    if (job.owner === client.user?.id) fill(meta, `${what} by you`);
    else if (job.ownerName) fill(meta, `${what} by `, profileLink(client, job.ownerName));
    else fill(meta, what);
    card.querySelector('.price')!.textContent = formatPrice(job.price);
    const description = card.querySelector<HTMLElement>('.card-description')!;
    description.textContent = job.description ?? '';
    description.hidden = !job.description;
    const state = BOARD_STATE[job.status] ?? BOARD_STATE.open;
    card.dataset.state = state.key;
    card.classList.toggle('taken', state.key === 'taken');

    const footer = card.querySelector<HTMLElement>('.card-footer')!;
    const mine = client.myOffers().find((o) => o.cleaning_id === job.id);
    const badge = h('span', { class: 'board-state', 'data-state': state.key }, state.label);
    if (job.owner === client.user?.id) {
      fill(footer, h('span', { class: 'pill' }, 'Your job'), badge);
    } else if (mine) {
      fill(footer, h('span', { class: 'muted' }, 'Your offer:'), statusBadge(mine.status), badge);
    } else if (state.key === 'done') {
      fill(footer, badge);
    } else if (!footer.querySelector('button[data-action="offer"]') || footer.dataset.state !== state.key) {
      const offer: HTMLButtonElement = h(
        'button',
        {
          class: 'btn btn-primary',
          type: 'button',
          'data-action': 'offer',
          [NEEDS_LIVE]: true,
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
      fill(footer, offer, badge);
    }
    footer.dataset.state = state.key;
  }

  function renderMyOffers() {
    const offers = client.myOffers();
    offersLoading.hidden = loaded;
    offersEmpty.hidden = !loaded || offers.length > 0;
    offersList.hidden = offers.length === 0;
    offersCount.textContent = offers.length ? String(offers.length) : '';
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
      h('div', { class: 'offer-rating' }),
      h('div', { class: 'actions' }),
    );
  }

  /** The rating a completed job got: shown the moment the completion is pushed (it carries the evaluation). */
  function showRating(row: HTMLElement, offer: MyOfferView) {
    const place = row.querySelector<HTMLElement>('.offer-rating')!;
    if (offer.status !== 'completed') return fill(place);
    if (offer.evaluation) evaluations.set(offer.cleaning_id, offer.evaluation);
    const known = evaluations.get(offer.cleaning_id);
    if (known === 'loading') return;
    if (known) {
      if (place.dataset.rating !== String(known.overall_rating))
        fill(place, h('span', { class: 'muted' }, 'Your rating: '), evaluationSummary(known));
      place.dataset.rating = String(known.overall_rating);
      return;
    }
    // After a reload the offer no longer carries its evaluation: read it once.
    const me = client.user?.username;
    if (!me) return;
    evaluations.set(offer.cleaning_id, 'loading');
    client.rest
      .evaluation(me, offer.cleaning_id)
      .then((evaluation) => evaluations.set(offer.cleaning_id, evaluation))
      // Left as loading: the row then shows no stars rather than asking again on every render.
      .catch(() => undefined)
      .finally(renderMyOffers);
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
        notify(
          offer.status === 'completed' && offer.evaluation
            ? `“${cleaning?.name ?? 'A job'}” is done: you were rated ${offer.evaluation.overall_rating} of 5 stars.`
            : `Your offer on “${cleaning?.name ?? 'a job'}” is now ${statusLabel(offer.status)}.`,
        );
      }
      status.dataset.status = offer.status;
      status.textContent = statusLabel(offer.status);
      row.querySelector('.status-hint')!.textContent = statusHint(offer.status);
    }
    const time = row.querySelector('time')!;
    time.dateTime = offer.updated_at;
    time.textContent = formatTime(offer.updated_at);
    showRating(row, offer);
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
        [NEEDS_LIVE]: true,
        onclick: () =>
          whileBusy(button, async () => {
            const name = (offer.cleaning ?? jobs.get(offer.cleaning_id))?.name ?? 'this job';
            if (
              wanted === 'cancel' &&
              !(await confirmAction({
                title: `Back out of “${name}”?`,
                body: 'The job is yours now. If you back out, the owner is told at once and can accept another cleaner; you cannot take it back.',
                confirm: 'Back out of job',
                cancel: 'Keep the job',
                danger: true,
              }))
            )
              return;
            try {
              if (wanted === 'cancel') await client.cancelOffer(offer.cleaning_id);
              else await client.rescindOffer(offer.cleaning_id);
            } catch (e) {
              alerts.fail(
                wanted === 'cancel' ? 'Could not back out of the job' : 'Could not withdraw the offer',
                e,
              );
            }
          }),
      },
      wanted === 'cancel' ? 'Back out of job' : 'Withdraw offer',
    );
    fill(actions, button);
  }

  client.on('cleaning:created', (c) => {
    jobs.set(c.id, { ...c, postedAt: c.created_at });
    if (c.owner !== client.user?.id) notify(`New job on the board: “${c.name}”.`);
    renderBoard();
  });
  client.on('cleaning:updated', (c) => {
    const known = jobs.get(c.id);
    jobs.set(c.id, { ...known, ...c, postedAt: known?.postedAt ?? c.created_at });
    renderBoard();
  });
  const mark = (c: CleaningPublic, status: CleaningStatus) => {
    const known = jobs.get(c.id);
    if (!known) return;
    jobs.set(c.id, { ...known, ...c, status });
    pushedAt.set(c.id, ++clock);
    renderBoard();
  };
  client.on('cleaning:assigned', (c) => mark(c, 'assigned'));
  client.on('cleaning:reopened', (c) => mark(c, 'open'));
  client.on('cleaning:completed', (c) => mark(c, 'completed'));
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
    if (!reconnected) return;
    if (!loaded) void start();
    else loadPage(false).catch((e) => alerts.fail('Could not reload the job board', e));
  });

  const boardColumn = h(
    'section',
    { class: 'column', id: 'cleaner-board', 'aria-labelledby': 'board-title' },
    h('h3', { class: 'section-title', id: 'board-title' }, 'Job board'),
    boardLoading,
    boardEmpty,
    board,
    more,
  );
  const offersColumn = h(
    'section',
    { class: 'column', id: 'cleaner-offers', 'aria-labelledby': 'my-offers-title' },
    h('h3', { class: 'section-title', id: 'my-offers-title' }, 'My offers'),
    h('div', { class: 'card card-flush' }, offersLoading, offersEmpty, offersList),
  );
  const offersCount = h('span', { class: 'count' });
  // A phone shows one list at a time; the switcher stays in reach at the top while scrolling.
  const columns = h('div', { class: 'columns', 'data-show': 'board' }, boardColumn, offersColumn);
  const switcher = h('div', { class: 'switcher', role: 'group', 'aria-label': 'Show' });
  const showColumn = (which: 'board' | 'offers') => {
    columns.dataset.show = which;
    for (const button of switcher.querySelectorAll('button'))
      button.setAttribute('aria-pressed', String(button.dataset.show === which));
  };
  switcher.append(
    h(
      'button',
      {
        type: 'button',
        'data-show': 'board',
        'aria-controls': 'cleaner-board',
        onclick: () => showColumn('board'),
      },
      'Job board',
    ),
    h(
      'button',
      {
        type: 'button',
        'data-show': 'offers',
        'aria-controls': 'cleaner-offers',
        onclick: () => showColumn('offers'),
      },
      'My offers ',
      offersCount,
    ),
  );
  showColumn('board');

  const element = h(
    'section',
    { class: 'view cleaner-view', 'data-view': 'cleaner', id: 'panel-cleaner' },
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
    switcher,
    columns,
  );

  async function start() {
    try {
      await client.subscribeFeed();
      await Promise.all([loadPage(false), client.loadMyOffers()]);
    } catch (e) {
      alerts.fail('Could not load the job board', e);
      // Not an empty board: say it failed, and offer to try again (a reconnect also reloads).
      for (const list of [boardLoading, offersLoading])
        fill(list, loadFailed('This list could not be loaded.', start));
      return;
    }
    loaded = true;
    renderMyOffers();
    renderBoard();
  }
  return { element, start };
}

function byNewest(a: Job, b: Job): number {
  return b.postedAt.localeCompare(a.postedAt) || b.id - a.id;
}

function statusBadge(status: MyOfferView['status']): HTMLElement {
  return h('span', { class: 'status', 'data-status': status }, statusLabel(status));
}
