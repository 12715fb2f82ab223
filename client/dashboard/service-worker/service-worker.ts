/**
 * The dashboard's service worker: turns Web Push messages into notifications while no window of the app has the
 * focus, shows each offer event once, and opens the job when a notification is clicked.
 */
import type { PushPayload } from '../../../src/contract/push.ts';
import type { ShowJobMessage } from './messages.ts';
import { firstSighting } from './seen-events.ts';

declare const self: ServiceWorkerGlobalScope;

/** What the notification carries for its click, and to order notifications of one cleaning. */
type NotificationData = { url: string; cleaning_id: number; seq: number };

self.addEventListener('install', () => {
  // A new version takes over at once: it only reacts to pushes and clicks, so no page depends on the old one.
  void self.skipWaiting();
});

/** Pushes are handled one after the other, so that of two events on one cleaning the later one is shown last. */
let handling: Promise<void> = Promise.resolve();

self.addEventListener('push', (event) => {
  const payload = readPayload(event.data);
  // One failed push (storage refused, say) must not stop the ones after it.
  handling = handling.then(() => notify(payload)).catch((error: unknown) => console.error(error));
  event.waitUntil(handling);
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(openJob(event.notification.data as Partial<NotificationData> | null));
});

async function notify(payload: PushPayload | undefined): Promise<void> {
  if (!payload) return;
  const { cleaning_id: cleaningId, seq } = payload.event;
  // The open page already shows the change live and says it in its live region.
  const watching = (await appWindows()).some((window) => window.focused);
  // Recorded even when not shown, so that a late copy is not shown once the page has lost the focus. Better
  // a rare duplicate than a lost notification: a browser without storage shows every push.
  const first = await firstSighting(cleaningId, seq).catch(() => true);
  if (watching || !first) return;
  const tag = `cleaning-${cleaningId}`;
  // One notification per cleaning: a newer event replaces the older, and a late retry never replaces a newer one.
  const shown = await self.registration.getNotifications({ tag });
  if (shown.some((n) => ((n.data as Partial<NotificationData> | null)?.seq ?? 0) > seq)) return;
  const data: NotificationData = { url: sameOriginUrl(payload.url), cleaning_id: cleaningId, seq };
  await self.registration.showNotification(payload.title, {
    body: payload.body,
    tag,
    data,
    icon: new URL('favicon.svg', self.registration.scope).href,
  });
}

/** The payload if it has the contract's shape; anything else (a stray or corrupt push) is ignored. */
function readPayload(data: PushMessageData | null): PushPayload | undefined {
  try {
    const payload = data?.json() as Partial<PushPayload> | undefined;
    const event = payload?.event;
    const valid =
      typeof payload?.title === 'string' &&
      typeof payload.body === 'string' &&
      typeof payload.url === 'string' &&
      Number.isInteger(event?.cleaning_id) &&
      Number.isInteger(event?.seq);
    return valid ? (payload as PushPayload) : undefined;
  } catch {
    return undefined;
  }
}

/** The windows showing the dashboard (not, say, the API docs, which live on the same origin). */
async function appWindows(): Promise<WindowClient[]> {
  const appPath = new URL(self.registration.scope).pathname;
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  return windows.filter((window) => {
    const path = new URL(window.url).pathname;
    return path === appPath || path === `${appPath}index.html`;
  });
}

/** Only pages of the app are opened: a payload's URL on another origin falls back to the app's start page. */
function sameOriginUrl(url: string | undefined): string {
  const scope = self.registration.scope;
  try {
    const resolved = new URL(url ?? scope, scope);
    return resolved.origin === self.location.origin ? resolved.href : scope;
  } catch {
    return scope;
  }
}

/**
 * Focuses a window of the app and has it show the job in place (it keeps its live state: no reload), or opens
 * one at the notification's URL.
 */
async function openJob(data: Partial<NotificationData> | null): Promise<void> {
  const windows = await appWindows();
  const window = windows.find((w) => w.focused) ?? windows[0];
  if (!window) {
    await self.clients.openWindow(sameOriginUrl(data?.url));
    return;
  }
  await window.focus();
  if (typeof data?.cleaning_id === 'number')
    window.postMessage({ type: 'show-job', cleaning_id: data.cleaning_id } satisfies ShowJobMessage);
}
