import {
  describeDetail,
  PhreshError,
  type PhreshClient,
  type PushSubscriptionJson,
} from 'phresh-live/client';
import { isOffline } from './alerts.ts';
import { OFFLINE_TEXT } from './connection-gate.ts';
import { h } from './elements.ts';

/**
 * The built worker sits at the root, so that its scope is the whole dashboard; vite's dev server (the one place
 * with `import.meta.hot`; a build's `DEV` follows NODE_ENV, which tests set) serves its source as a module.
 */
const WORKER: { url: string; type: WorkerType } = import.meta.hot
  ? { url: '/service-worker/service-worker.ts', type: 'module' }
  : { url: '/service-worker.js', type: 'classic' };

const TEXT = {
  unsupported: 'This browser cannot show notifications from Phresh Live.',
  blocked:
    'Notifications are blocked for this site. Allow them in your browser’s site settings, then try again.',
  dismissed: 'Notifications stay off: they need your permission when the browser asks.',
  noPushService:
    'This browser could not reach its push service, so notifications stay off. Try again later, or in another browser.',
  on: 'On: this browser tells you when your offers or jobs change while Phresh Live is closed or in the background.',
  off: 'Off: you hear about changes only while Phresh Live is open.',
} as const;

/** A step of turning notifications on failed for a reason the person can act on; `message` says which. */
class PushSetupError extends Error {}

/** Web Push needs a service worker, the Push API and notifications, which only secure origins get. */
function pushSupported(): boolean {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

/** Registers the dashboard's service worker; undefined where the browser has none or refuses it. */
export function registerServiceWorker(): Promise<ServiceWorkerRegistration | undefined> {
  if (!pushSupported()) return Promise.resolve(undefined);
  return navigator.serviceWorker
    .register(WORKER.url, { type: WORKER.type, scope: '/' })
    .catch(() => undefined);
}

/** RFC 8292's application server key, base64url, as the bytes `pushManager.subscribe` takes everywhere. */
function base64urlBytes(value: string): Uint8Array<ArrayBuffer> {
  const base64 = value.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function sameKey(subscription: PushSubscription, key: Uint8Array): boolean {
  const current = subscription.options.applicationServerKey;
  if (!current) return false;
  const bytes = new Uint8Array(current);
  return bytes.length === key.length && bytes.every((b, i) => b === key[i]);
}

/** The contract's shape of a subscription: what `toJSON()` gives, with its keys required. */
function asContract(subscription: PushSubscription): PushSubscriptionJson {
  const keys = subscription.toJSON().keys ?? {};
  return {
    endpoint: subscription.endpoint,
    expirationTime: subscription.expirationTime,
    keys: { p256dh: keys.p256dh ?? '', auth: keys.auth ?? '' },
  };
}

async function enablePush(client: PhreshClient, registration: ServiceWorkerRegistration): Promise<void> {
  const permission = await Notification.requestPermission();
  if (permission === 'denied') throw new PushSetupError(TEXT.blocked);
  if (permission !== 'granted') throw new PushSetupError(TEXT.dismissed);
  const key = base64urlBytes((await client.rest.pushPublicKey()).public_key);
  let subscription = await registration.pushManager.getSubscription();
  // A subscription made with another server key (the server's keys changed) cannot be reused.
  if (subscription && !sameKey(subscription, key)) {
    await subscription.unsubscribe();
    subscription = null;
  }
  try {
    subscription ??= await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: key,
    });
  } catch (cause) {
    throw new PushSetupError(TEXT.noPushService, { cause });
  }
  try {
    await client.rest.subscribePush(asContract(subscription));
  } catch (e) {
    // Without the server knowing it, the subscription would only ever stay silent.
    await subscription.unsubscribe().catch(() => undefined);
    throw e;
  }
}

/**
 * Stops this browser's notifications: the browser drops its subscription, then the server is told. Should the
 * server not hear of it now, the push service refuses its next message to the old endpoint, and the server drops it then.
 */
export async function disablePush(
  client: PhreshClient,
  registration: ServiceWorkerRegistration | undefined,
): Promise<void> {
  const subscription = await registration?.pushManager.getSubscription();
  if (!subscription) return;
  await subscription.unsubscribe();
  await client.rest.unsubscribePush(subscription.endpoint).catch(() => undefined);
}

function failureText(error: unknown): string {
  if (error instanceof PushSetupError) return error.message;
  if (isOffline(error)) return OFFLINE_TEXT;
  const detail = error instanceof PhreshError ? describeDetail(error.detail) : String(error);
  return `Notifications stay off: ${detail}`;
}

/**
 * The "Enable notifications" switch: turning it on asks for permission, subscribes this browser with the server's
 * key and registers it with the server; turning it off undoes both. A failure says why and leaves it off.
 */
export function createNotificationSwitch(
  client: PhreshClient,
  registration: Promise<ServiceWorkerRegistration | undefined>,
): HTMLElement {
  const message = h('p', { class: 'switch-message muted', id: 'notifications-message', role: 'status' });
  const toggle: HTMLInputElement = h('input', {
    type: 'checkbox',
    role: 'switch',
    name: 'notifications',
    'aria-describedby': 'notifications-message',
    disabled: true,
  });
  const say = (text: string, failed = false) => {
    message.textContent = text;
    message.classList.toggle('switch-failed', failed);
  };

  void registration.then(async (worker) => {
    if (!worker) return say(TEXT.unsupported);
    const subscription = await worker.pushManager.getSubscription().catch(() => null);
    toggle.checked = subscription !== null && Notification.permission === 'granted';
    toggle.disabled = false;
    say(toggle.checked ? TEXT.on : TEXT.off);
  });

  toggle.addEventListener('change', () => {
    const wanted = toggle.checked;
    toggle.disabled = true;
    toggle.setAttribute('aria-busy', 'true');
    say(wanted ? 'Turning notifications on…' : 'Turning notifications off…');
    void (async () => {
      const worker = await registration;
      try {
        if (!worker) throw new PushSetupError(TEXT.unsupported);
        if (wanted) await enablePush(client, worker);
        else await disablePush(client, worker);
        say(wanted ? TEXT.on : TEXT.off);
      } catch (e) {
        toggle.checked = false;
        say(failureText(e), true);
      } finally {
        toggle.removeAttribute('aria-busy');
        toggle.disabled = !worker;
      }
    })();
  });

  return h(
    'div',
    { class: 'card notifications-card' },
    h('h3', { class: 'card-title' }, 'Notifications'),
    h('label', { class: 'switch' }, toggle, h('span', { class: 'switch-label' }, 'Enable notifications')),
    message,
  );
}
