import type { CleaningPublic, CleaningType, OfferPublic, PhreshClient } from 'phresh-live/client';
import type { Alerts } from './alerts.ts';
import { fill, h, reconcile, whileBusy } from './elements.ts';
import { CLEANING_TYPE_LABELS, formatPrice, formatTime } from './formatting.ts';

/**
 * The owner's side: post a job, and for each of your jobs a live table of offers with an Accept button.
 * Statuses change in place as events arrive, and the tables catch up by themselves after a reconnect.
 */
export function createOwnerView(
  client: PhreshClient,
  alerts: Alerts,
): { element: HTMLElement; start(): Promise<void> } {
  const cleanings = new Map<number, CleaningPublic>();
  const list = h('div', { class: 'stack', 'data-testid': 'my-cleanings' });
  const empty = h(
    'p',
    { class: 'empty' },
    'You have not posted any jobs yet. Post one above and offers will appear here as cleaners make them.',
  );

  const form = createCleaningForm(client, alerts, async (cleaning) => {
    // The job board's push may have brought it already.
    if (cleanings.has(cleaning.id)) return;
    cleanings.set(cleaning.id, cleaning);
    render();
    await follow(cleaning.id);
  });

  async function follow(cleaningId: number) {
    try {
      await client.subscribe(cleaningId);
    } catch (e) {
      alerts.fail('Could not load the offers of a job', e);
    }
    renderOffers(cleaningId);
  }

  function render() {
    const items = [...cleanings.values()].sort(
      (a, b) => b.created_at.localeCompare(a.created_at) || b.id - a.id,
    );
    empty.hidden = items.length > 0;
    reconcile(list, items, (c) => String(c.id), createCard, updateCard);
  }

  function createCard(cleaning: CleaningPublic): HTMLElement {
    const rows = h('tbody');
    return h(
      'article',
      { class: 'card cleaning', 'data-cleaning-id': cleaning.id },
      h(
        'header',
        { class: 'card-header' },
        h('div', null, h('h3', { class: 'card-title' }), h('p', { class: 'card-meta' })),
        h('span', { class: 'pill', 'data-role': 'summary' }),
      ),
      h('p', { class: 'card-description' }),
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
        rows,
      ),
      h(
        'p',
        { class: 'empty empty-offers' },
        'No offers yet. They appear here the moment cleaners make them.',
      ),
    );
  }

  function updateCard(card: HTMLElement, cleaning: CleaningPublic) {
    card.querySelector('.card-title')!.textContent = cleaning.name;
    card.querySelector('.card-meta')!.textContent =
      `${formatPrice(cleaning.price)} · ${CLEANING_TYPE_LABELS[cleaning.cleaning_type]} · posted ${formatTime(cleaning.created_at)}`;
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
    const summary = card.querySelector<HTMLElement>('[data-role="summary"]')!;
    summary.textContent = accepted
      ? `Assigned to ${accepted.user?.username ?? 'a cleaner'}`
      : `${offers.length} ${offers.length === 1 ? 'offer' : 'offers'}`;
    summary.dataset.tone = accepted ? 'accepted' : 'neutral';
    card.querySelector<HTMLElement>('.empty-offers')!.hidden = offers.length > 0;
    card.querySelector<HTMLElement>('.offers-table')!.hidden = offers.length === 0;
    reconcile(
      card.querySelector('tbody')!,
      offers,
      (o) => String(o.user_id),
      createRow,
      (row, offer) => updateRow(row, offer),
    );
  }

  function createRow(offer: OfferPublic): HTMLElement {
    return h(
      'tr',
      { class: 'offer-row', 'data-user-id': offer.user_id },
      h('td', { 'data-label': 'Offerer', class: 'offerer' }),
      h('td', { 'data-label': 'Status' }, h('span', { class: 'status', 'data-status': '' })),
      h('td', { 'data-label': 'Updated' }, h('time', { class: 'muted' })),
      h('td', { class: 'actions' }),
    );
  }

  function updateRow(row: HTMLElement, offer: OfferPublic) {
    const name = offer.user?.username;
    if (name) row.dataset.offerer = name;
    row.querySelector('.offerer')!.textContent = name ?? `Cleaner #${offer.user_id}`;
    const status = row.querySelector<HTMLElement>('.status')!;
    if (status.dataset.status !== offer.status) {
      if (status.dataset.status) flash(row);
      status.dataset.status = offer.status;
      status.textContent = offer.status;
    }
    const time = row.querySelector('time')!;
    time.dateTime = offer.updated_at;
    time.textContent = formatTime(offer.updated_at);
    const actions = row.querySelector<HTMLElement>('.actions')!;
    if (offer.status !== 'pending') return fill(actions);
    if (actions.querySelector('button')) return;
    const accept: HTMLButtonElement = h(
      'button',
      {
        class: 'btn btn-primary btn-sm',
        type: 'button',
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
    { class: 'view owner-view', 'data-view': 'owner', 'aria-labelledby': 'owner-title' },
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
    empty,
    list,
  );
  return { element, start: () => load().catch((e) => alerts.fail('Could not load your jobs', e)) };
}

function flash(element: HTMLElement) {
  element.classList.remove('changed');
  void element.offsetWidth;
  element.classList.add('changed');
}

function createCleaningForm(
  client: PhreshClient,
  alerts: Alerts,
  created: (c: CleaningPublic) => Promise<void>,
): HTMLElement {
  const name = h('input', {
    name: 'name',
    placeholder: 'Deep clean of a two-room flat',
    autocomplete: 'off',
  });
  const price = h('input', {
    name: 'price',
    inputmode: 'decimal',
    placeholder: '80.00',
    autocomplete: 'off',
  });
  const type = h(
    'select',
    { name: 'cleaning_type' },
    ...Object.entries(CLEANING_TYPE_LABELS).map(([value, label]) =>
      h('option', { value, selected: value === 'spot_clean' }, label),
    ),
  );
  const description = h('textarea', {
    name: 'description',
    rows: 2,
    placeholder: 'Anything the cleaner should know (optional)',
  });
  const submit = h('button', { class: 'btn btn-primary', type: 'submit' }, 'Post job');
  const field = (label: string, control: HTMLElement, extra = '') =>
    h('label', { class: `field ${extra}` }, h('span', { class: 'field-label' }, label), control);
  // The server's schema is the one source of validation: the form sends what was typed and shows its answer.
  const form: HTMLFormElement = h(
    'form',
    {
      class: 'card cleaning-form',
      novalidate: true,
      'aria-label': 'Post a cleaning job',
      onsubmit: (event: Event) => {
        event.preventDefault();
        void whileBusy(submit, async () => {
          try {
            const cleaning = await client.createCleaning({
              name: name.value,
              price: price.value.trim(),
              cleaning_type: type.value as CleaningType,
              description: description.value.trim() || null,
            });
            form.reset();
            await created(cleaning);
          } catch (e) {
            alerts.fail('Could not post the job', e);
          }
        });
      },
    },
    h('h3', { class: 'card-title' }, 'Post a cleaning job'),
    h(
      'div',
      { class: 'form-grid' },
      field('Job title', name, 'span-2'),
      field('Price (USD)', price),
      field('Type', type),
      field('Details', description, 'span-4'),
    ),
    h('div', { class: 'form-actions' }, submit),
  );
  return form;
}
