import type { ShowJobMessage } from '../service-worker/messages.ts';

/** The query parameter of a notification's link to a job: `/?cleaning=12`. */
const LINK_PARAMETER = 'cleaning';

/**
 * The job the page was opened on by a link, if any. The parameter leaves the address at once, so that a reload
 * or a bookmark does not jump to the job again.
 */
export function takeLinkedJob(): number | undefined {
  const params = new URLSearchParams(location.search);
  if (!params.has(LINK_PARAMETER)) return undefined;
  const cleaningId = Number(params.get(LINK_PARAMETER));
  params.delete(LINK_PARAMETER);
  const query = params.size > 0 ? `?${params}` : '';
  history.replaceState(history.state, '', `${location.pathname}${query}${location.hash}`);
  return Number.isSafeInteger(cleaningId) && cleaningId > 0 ? cleaningId : undefined;
}

/** Calls `show` for each job the service worker asks for (a notification about it was clicked). */
export function onShowJobMessage(show: (cleaningId: number) => void): void {
  navigator.serviceWorker?.addEventListener('message', (event: MessageEvent<Partial<ShowJobMessage>>) => {
    if (event.data?.type === 'show-job' && typeof event.data.cleaning_id === 'number')
      show(event.data.cleaning_id);
  });
}

/**
 * Shows a job where it matters to the person: their own job's card, else their offer on it, else its card on the
 * board. Opens the view it is in (and, on a phone, the list), scrolls to it and moves the focus there. False when
 * the job is on none of the loaded lists.
 */
export function showJob(cleaningId: number, openView: (view: 'owner' | 'cleaner') => void): boolean {
  const id = CSS.escape(String(cleaningId));
  const own = document.querySelector<HTMLElement>(
    `[data-view="owner"] article.cleaning[data-cleaning-id="${id}"]`,
  );
  const offer = document.querySelector<HTMLElement>(`[data-testid="my-offers"] [data-cleaning-id="${id}"]`);
  const job = document.querySelector<HTMLElement>(
    `[data-testid="job-board"] article.job[data-cleaning-id="${id}"]`,
  );
  const target = own ?? offer ?? job;
  if (!target) return false;
  openView(own ? 'owner' : 'cleaner');
  if (!own)
    document
      .querySelector<HTMLButtonElement>(`.switcher button[data-show="${offer ? 'offers' : 'board'}"]`)
      ?.click();
  target.tabIndex = -1;
  target.focus({ preventScroll: true });
  target.scrollIntoView({ block: 'center' });
  target.classList.remove('linked');
  // Reading the layout in between restarts the highlight when the same job is shown again.
  void target.offsetWidth;
  target.classList.add('linked');
  return true;
}
