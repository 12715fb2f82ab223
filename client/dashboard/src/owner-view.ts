import type { CleaningPublic, EvaluationPublic, OfferPublic, PhreshClient } from 'phresh-live/client';
import type { Alerts } from './alerts.ts';
import { createCleaningForm } from './cleaning-form.ts';
import { confirmAction } from './confirm-dialog.ts';
import { fill, h, loadFailed, NEEDS_LIVE, reconcile, skeleton, whileBusy } from './elements.ts';
import { CLEANING_TYPE_LABELS, formatPrice, formatTime, statusLabel } from './formatting.ts';
import { profileLink } from './public-profile.ts';
import { rateCleaner } from './rating-dialog.ts';
import { evaluationSummary, trackRecord } from './star-rating.ts';

/**
 * The owner's side: post a job, and for each of your jobs a live table of offers with an Accept button, and
 * Edit and Delete. Statuses change in place as events arrive, and the tables catch up by themselves after a
 * reconnect.
 */
export function createOwnerView(
  client: PhreshClient,
  alerts: Alerts,
  notify: (text: string) => void,
): { element: HTMLElement; start(): Promise<void> } {
  const cleanings = new Map<number, CleaningPublic>();
  /** Jobs whose offers have been loaded: until then their card says "loading", not "no offers". */
  const followed = new Set<number>();
  /** Evaluations of completed jobs, by cleaning id: pushed with the completion, or read once after a reload. */
  const evaluations = new Map<number, EvaluationPublic | 'loading'>();
  let loaded = false;
  const list = h('div', { class: 'stack', 'data-testid': 'my-cleanings' });
  const loading = skeleton('Loading your jobs…', 2);
  const empty = h(
    'p',
    { class: 'empty', hidden: true },
    'You have not posted any jobs yet. Post one above and offers will appear here as cleaners make them.',
  );

  const form = createCleaningForm({
    alerts,
    title: 'Post a cleaning job',
    submitLabel: 'Post job',
    failure: 'Could not post the job',
    save: async (input) => {
      const cleaning = await client.createCleaning(input);
      // The job board's push may have brought it already.
      if (cleanings.has(cleaning.id)) return;
      cleanings.set(cleaning.id, cleaning);
      render();
      await follow(cleaning.id);
    },
  });

  async function follow(cleaningId: number) {
    try {
      await client.subscribe(cleaningId);
    } catch (e) {
      alerts.fail('Could not load the offers of a job', e);
    }
    followed.add(cleaningId);
    renderOffers(cleaningId);
  }

  function render() {
    const items = [...cleanings.values()].sort(
      (a, b) => b.created_at.localeCompare(a.created_at) || b.id - a.id,
    );
    loading.hidden = loaded;
    empty.hidden = !loaded || items.length > 0;
    reconcile(list, items, (c) => String(c.id), createCard, updateCard);
  }

  function createCard(cleaning: CleaningPublic): HTMLElement {
    const card: HTMLElement = h(
      'article',
      { class: 'card cleaning', 'data-cleaning-id': cleaning.id, 'aria-labelledby': `job-${cleaning.id}` },
      h(
        'header',
        { class: 'card-header' },
        h(
          'div',
          null,
          h('h3', { class: 'card-title', id: `job-${cleaning.id}` }),
          h('p', { class: 'card-meta' }),
        ),
        h('span', { class: 'pill', 'data-role': 'summary' }),
      ),
      h('p', { class: 'card-description' }),
      h(
        'div',
        { class: 'card-tools' },
        h(
          'button',
          { class: 'btn btn-ghost btn-sm', type: 'button', onclick: () => edit(card, cleaning.id) },
          'Edit',
        ),
        deleteButton(cleaning.id),
      ),
      h('div', { class: 'card-editor', hidden: true }),
      h(
        'table',
        { class: 'offers-table' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', null, 'Offerer'),
            h('th', null, 'Status'),
            h('th', null, 'Updated'),
            h('th', { class: 'actions' }, h('span', { class: 'visually-hidden' }, 'Actions')),
          ),
        ),
        h('tbody'),
      ),
      h('p', { class: 'empty empty-offers' }),
    );
    return card;
  }

  function edit(card: HTMLElement, cleaningId: number) {
    const editor = card.querySelector<HTMLElement>('.card-editor')!;
    const tools = card.querySelector<HTMLElement>('.card-tools')!;
    const close = () => {
      editor.hidden = true;
      tools.hidden = false;
      fill(editor);
      tools.querySelector('button')!.focus();
    };
    const editForm = createCleaningForm({
      alerts,
      title: 'Edit the job',
      submitLabel: 'Save changes',
      failure: 'Could not save the job',
      initial: cleanings.get(cleaningId),
      cancel: close,
      save: async (input) => {
        const saved = await client.rest.updateCleaning(cleaningId, input);
        cleanings.set(saved.id, saved);
        close();
        render();
      },
    });
    fill(editor, editForm);
    editor.hidden = false;
    tools.hidden = true;
    editForm.querySelector('input')!.focus();
  }

  function deleteButton(cleaningId: number): HTMLButtonElement {
    const button: HTMLButtonElement = h(
      'button',
      {
        class: 'btn btn-ghost btn-sm btn-danger-text',
        type: 'button',
        [NEEDS_LIVE]: true,
        onclick: () =>
          whileBusy(button, async () => {
            const cleaning = cleanings.get(cleaningId);
            const offers = client.offers(cleaningId).length;
            const sure = await confirmAction({
              title: `Delete “${cleaning?.name ?? 'this job'}”?`,
              body:
                offers > 0
                  ? `It leaves the job board, and the ${offers === 1 ? 'cleaner who offered is' : `${offers} cleaners who offered are`} told it is gone. This cannot be undone.`
                  : 'It leaves the job board. This cannot be undone.',
              confirm: 'Delete job',
              cancel: 'Keep it',
              danger: true,
            });
            if (!sure) return;
            try {
              await client.rest.deleteCleaning(cleaningId);
              if (cleanings.delete(cleaningId)) render();
            } catch (e) {
              alerts.fail('Could not delete the job', e);
            }
          }),
      },
      'Delete',
    );
    return button;
  }

  function updateCard(card: HTMLElement, cleaning: CleaningPublic) {
    card.querySelector('.card-title')!.textContent = cleaning.name;
    card.querySelector('.card-meta')!.textContent =
      `${formatPrice(cleaning.price)} · ${CLEANING_TYPE_LABELS[cleaning.cleaning_type] ?? cleaning.cleaning_type} · posted ${formatTime(cleaning.created_at)}`;
    const description = card.querySelector<HTMLElement>('.card-description')!;
    description.textContent = cleaning.description ?? '';
    description.hidden = !cleaning.description;
    renderOffers(cleaning.id, card);
  }

  function renderOffers(
    cleaningId: number,
    card = list.querySelector<HTMLElement>(`[data-cleaning-id="${cleaningId}"]`),
  ) {
    if (!card) return;
    // Oldest first, so that rows stay where they are as new offers arrive below.
    const offers = client.offers(cleaningId).reverse();
    const accepted = offers.find((o) => o.status === 'accepted');
    const done = offers.find((o) => o.status === 'completed');
    // A completed job is the record of its rating: the server refuses edits and deletion, so none are offered.
    card.classList.toggle('done', Boolean(done));
    const summary = card.querySelector<HTMLElement>('[data-role="summary"]')!;
    const ready = followed.has(cleaningId);
    summary.textContent = done
      ? `Done by ${done.user?.username ?? 'a cleaner'}`
      : accepted
        ? `Assigned to ${accepted.user?.username ?? 'a cleaner'}`
        : ready
          ? `${offers.length} ${offers.length === 1 ? 'offer' : 'offers'}`
          : 'Loading offers…';
    summary.dataset.tone = done || accepted ? 'accepted' : 'neutral';
    const emptyOffers = card.querySelector<HTMLElement>('.empty-offers')!;
    emptyOffers.textContent = ready
      ? 'No offers yet. They appear here the moment cleaners make them.'
      : 'Loading offers…';
    emptyOffers.hidden = offers.length > 0;
    card.querySelector<HTMLElement>('.offers-table')!.hidden = offers.length === 0;
    const title = cleanings.get(cleaningId)?.name ?? 'your job';
    // Offers shown by the first load are not news; those arriving after it are.
    const news = card.dataset.loaded === 'true';
    reconcile(
      card.querySelector('tbody')!,
      offers,
      (o) => String(o.user_id),
      (offer) => {
        if (news) notify(`${offer.user?.username ?? 'A cleaner'} made an offer on “${title}”.`);
        return createRow(offer);
      },
      (row, offer) => updateRow(row, offer, title, offers),
    );
    if (ready) card.dataset.loaded = 'true';
  }

  function createRow(offer: OfferPublic): HTMLElement {
    return h(
      'tr',
      { class: 'offer-row', 'data-user-id': offer.user_id },
      h(
        'td',
        { 'data-label': 'Offerer' },
        h('span', { class: 'offerer' }),
        h('span', { class: 'offerer-record' }),
      ),
      h('td', { 'data-label': 'Status' }, h('span', { class: 'status', 'data-status': '' })),
      h('td', { 'data-label': 'Updated' }, h('time', { class: 'muted' })),
      h('td', { class: 'actions' }),
    );
  }

  function updateRow(row: HTMLElement, offer: OfferPublic, title: string, all: OfferPublic[]) {
    const name = offer.user?.username;
    const offerer = row.querySelector<HTMLElement>('.offerer')!;
    if (name && row.dataset.offerer !== name) {
      row.dataset.offerer = name;
      fill(offerer, profileLink(client, name));
    } else if (!name) offerer.textContent = `Cleaner #${offer.user_id}`;
    const record = row.querySelector<HTMLElement>('.offerer-record')!;
    const recordKey = offer.user ? `${offer.user.total_evaluations}:${offer.user.avg_overall_rating}` : '';
    if (record.dataset.key !== recordKey) {
      record.dataset.key = recordKey;
      fill(record, offer.user && trackRecord(offer.user));
    }
    const status = row.querySelector<HTMLElement>('.status')!;
    if (status.dataset.status !== offer.status) {
      if (status.dataset.status) {
        flash(row);
        notify(`${name ?? 'A cleaner'}’s offer on “${title}” is now ${statusLabel(offer.status)}.`);
      }
      status.dataset.status = offer.status;
      status.textContent = statusLabel(offer.status);
    }
    const time = row.querySelector('time')!;
    time.dateTime = offer.updated_at;
    time.textContent = formatTime(offer.updated_at);
    const actions = row.querySelector<HTMLElement>('.actions')!;
    if (offer.status === 'accepted') return rateButton(actions, offer, title);
    if (offer.status === 'completed') return showEvaluation(actions, offer);
    if (offer.status !== 'pending') return fill(actions);
    if (actions.querySelector('button[data-action="accept"]')) return;
    const accept: HTMLButtonElement = h(
      'button',
      {
        class: 'btn btn-primary btn-sm',
        type: 'button',
        'data-action': 'accept',
        [NEEDS_LIVE]: true,
        onclick: () =>
          whileBusy(accept, async () => {
            const username =
              offer.user?.username ??
              client.offers(offer.cleaning_id).find((o) => o.user_id === offer.user_id)?.user?.username;
            if (!username)
              return alerts.fail(
                'Could not accept the offer',
                new Error('The offerer is still loading. Try again in a moment.'),
              );
            const others = all.filter((o) => o.status === 'pending' && o.user_id !== offer.user_id).length;
            const sure = await confirmAction({
              title: `Accept ${username}’s offer?`,
              body:
                others > 0
                  ? `${username} gets “${title}”, and the ${others === 1 ? 'other pending offer is' : `${others} other pending offers are`} declined at once.`
                  : `${username} gets “${title}”. Offers made later are declined.`,
              confirm: 'Accept offer',
              cancel: 'Not yet',
            });
            if (!sure) return;
            try {
              await client.acceptOffer(offer.cleaning_id, username);
            } catch (e) {
              alerts.fail('Could not accept the offer', e);
            }
          }),
      },
      'Accept',
    );
    fill(actions, accept);
  }

  function rateButton(actions: HTMLElement, offer: OfferPublic, title: string) {
    if (actions.querySelector('button[data-action="rate"]')) return;
    const button: HTMLButtonElement = h(
      'button',
      {
        class: 'btn btn-primary btn-sm',
        type: 'button',
        'data-action': 'rate',
        [NEEDS_LIVE]: true,
        onclick: () =>
          whileBusy(button, async () => {
            const username =
              offer.user?.username ??
              client.offers(offer.cleaning_id).find((o) => o.user_id === offer.user_id)?.user?.username;
            if (!username)
              return alerts.fail(
                'Could not rate the cleaner',
                new Error('The cleaner is still loading. Try again in a moment.'),
              );
            await rateCleaner({
              host: element,
              cleaner: username,
              job: title,
              save: (input) => client.evaluate(offer.cleaning_id, username, input),
            });
          }),
      },
      'Mark done and rate',
    );
    fill(actions, button);
  }

  function showEvaluation(actions: HTMLElement, offer: OfferPublic) {
    if (offer.evaluation) evaluations.set(offer.cleaning_id, offer.evaluation);
    const known = evaluations.get(offer.cleaning_id);
    if (known === 'loading') return;
    if (known) {
      if (actions.dataset.rating !== String(known.overall_rating)) fill(actions, evaluationSummary(known));
      actions.dataset.rating = String(known.overall_rating);
      return;
    }
    // After a reload the offer no longer carries its evaluation: read it once.
    const username = offer.user?.username;
    fill(actions);
    if (!username) return;
    evaluations.set(offer.cleaning_id, 'loading');
    client.rest
      .evaluation(username, offer.cleaning_id)
      .then((evaluation) => evaluations.set(offer.cleaning_id, evaluation))
      // Left as loading: the row then shows no stars rather than asking again on every render.
      .catch(() => undefined)
      .finally(() => renderOffers(offer.cleaning_id));
  }

  client.on('offers', (cleaningId) => renderOffers(cleaningId));
  // Jobs posted or edited elsewhere (another tab, the API) reach the job board's pushes, which this page receives.
  client.on('cleaning:created', (c) => {
    if (c.owner !== client.user?.id || cleanings.has(c.id)) return;
    cleanings.set(c.id, c);
    render();
    void follow(c.id);
  });
  client.on('cleaning:updated', (c) => {
    if (!cleanings.has(c.id)) return;
    cleanings.set(c.id, c);
    render();
  });
  client.on('cleaning:deleted', ({ cleaning_id }) => {
    if (cleanings.delete(cleaning_id)) render();
  });

  async function load() {
    const mine = await client.myCleanings();
    const ids = new Set(mine.map((c) => c.id));
    for (const id of cleanings.keys()) if (!ids.has(id)) cleanings.delete(id);
    const fresh = mine.filter((c) => !cleanings.has(c.id));
    for (const c of mine) cleanings.set(c.id, c);
    loaded = true;
    render();
    // A few at a time: the server limits commands per second, and each job is one subscribe.
    const queue = [...fresh];
    await Promise.all(
      Array.from({ length: Math.min(4, queue.length) }, async () => {
        for (let c = queue.shift(); c; c = queue.shift()) await follow(c.id);
      }),
    );
  }

  // After a reconnect the client has caught up on every job it follows; jobs posted elsewhere meanwhile are new.
  client.on('synced', ({ reconnected }) => {
    if (reconnected) load().catch((e) => alerts.fail('Could not reload your jobs', e));
  });

  const element = h(
    'section',
    { class: 'view owner-view', 'data-view': 'owner', id: 'panel-owner' },
    h(
      'div',
      { class: 'view-intro' },
      h('h2', { id: 'owner-title' }, 'My cleanings'),
      h(
        'p',
        { class: 'muted' },
        'Post a job, then accept the offer you like. Everyone sees the outcome instantly.',
      ),
    ),
    form,
    h('h3', { class: 'section-title' }, 'Your jobs'),
    loading,
    empty,
    list,
  );
  const start = () =>
    load().catch((e) => {
      // Not an empty list: say it failed, and offer to try again (a reconnect also reloads).
      if (!loaded) fill(loading, loadFailed('Your jobs could not be loaded.', start));
      alerts.fail('Could not load your jobs', e);
    });
  return { element, start };
}

function flash(element: HTMLElement) {
  element.classList.remove('changed');
  void element.offsetWidth;
  element.classList.add('changed');
}
