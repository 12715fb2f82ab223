import './styles.css';
import { PhreshClient } from 'phresh-live/client';
import { createAlerts } from './alerts.ts';
import { showAuthScreen } from './auth-screen.ts';
import { createCleanerView } from './cleaner-view.ts';
import { createConnectionBadge } from './connection-badge.ts';
import { createConnectionGate } from './connection-gate.ts';
import { h, whileBusy } from './elements.ts';
import { onShowJobMessage, showJob, takeLinkedJob } from './job-link.ts';
import { createNotifier } from './notifier.ts';
import { createOwnerView } from './owner-view.ts';
import { createProfileView } from './profile-view.ts';
import { createNotificationSwitch, disablePush, registerServiceWorker } from './push-notifications.ts';
import { loadToken, saveToken } from './session-store.ts';
import { makeTabs } from './tabs.ts';

const VIEWS = [
  { name: 'owner', label: 'My cleanings' },
  { name: 'cleaner', label: 'Find work' },
  { name: 'profile', label: 'Profile' },
] as const;

const root = document.getElementById('app')!;
const alerts = createAlerts();
const serviceWorker = registerServiceWorker();
/** A notification opened the page on this job: it is shown once the lists have loaded. */
const linkedJob = takeLinkedJob();
/** How long signing out waits for notifications to be turned off before it goes ahead anyway. */
const SIGN_OUT_PUSH_WAIT_MS = 3_000;

const client: PhreshClient = new PhreshClient({
  token: loadToken(),
  // An expired session is renewed in place: the page stays as it is, and catches up once signed in again.
  renewToken: async (): Promise<string | undefined> => {
    const before = client.user?.id;
    await showAuthScreen(document.body, client, { renewal: { email: client.user?.email } });
    saveToken(client.accessToken);
    if (before !== undefined && client.user?.id !== before) location.reload();
    return client.accessToken;
  },
});

async function boot() {
  // index.html shows "Loading…" until here: a resumed session never starts on a blank page.
  if (!client.accessToken) {
    root.replaceChildren();
    await showAuthScreen(root, client);
  } else await client.resume();
  saveToken(client.accessToken);
  mount();
}

async function signOut() {
  // Notifications belong to the account: whoever signs in next at this browser must not get them.
  const pushOff = serviceWorker.then((worker) => disablePush(client, worker)).catch(() => undefined);
  await Promise.race([pushOff, new Promise((resolve) => setTimeout(resolve, SIGN_OUT_PUSH_WAIT_MS))]);
  saveToken(undefined);
  client.close();
  location.hash = '';
  location.reload();
}

function deactivated() {
  // The server has deleted the account's subscriptions; the browser drops its own.
  void serviceWorker.then((worker) => worker?.pushManager.getSubscription()).then((s) => s?.unsubscribe());
  saveToken(undefined);
  client.close();
  history.replaceState(null, '', '/');
  document.body.replaceChildren(
    h(
      'main',
      { class: 'auth-screen' },
      h(
        'section',
        { class: 'auth-card', 'aria-labelledby': 'gone-title' },
        h('h1', { id: 'gone-title' }, 'Your account is deactivated'),
        h('p', { class: 'muted' }, 'You are signed out everywhere. Thank you for using Phresh Live.'),
        h('a', { class: 'btn btn-ghost btn-block', href: '/' }, 'Back to the start page'),
      ),
    ),
  );
}

function mount() {
  const notifier = createNotifier();
  const owner = createOwnerView(client, alerts, notifier.notify);
  const cleaner = createCleanerView(client, alerts, notifier.notify);
  const profile = createProfileView(
    client,
    alerts,
    deactivated,
    createNotificationSwitch(client, serviceWorker),
  );
  const panels = [owner.element, cleaner.element, profile.element];
  const tabs = VIEWS.map(({ name, label }) =>
    h('a', { class: 'tab', href: `#${name}`, id: `tab-${name}`, 'data-tab': name }, label),
  );
  const tabList = makeTabs(tabs, panels, (index) => {
    location.hash = VIEWS[index]!.name;
  });
  let profileLoaded = false;
  const show = () => {
    const index = Math.max(
      0,
      VIEWS.findIndex((v) => `#${v.name}` === location.hash),
    );
    tabList.select(index);
    if (VIEWS[index]!.name === 'profile' && !profileLoaded) {
      profileLoaded = true;
      void profile.start();
    }
  };
  window.addEventListener('hashchange', show);
  const openView = (view: (typeof VIEWS)[number]['name']) => {
    location.hash = view;
    show();
  };
  onShowJobMessage((cleaningId) => showJob(cleaningId, openView));

  const header = h(
    'header',
    { class: 'topbar' },
    h(
      'div',
      { class: 'topbar-inner' },
      h(
        'a',
        { class: 'brand', href: '#owner' },
        h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, 'P'),
        h('span', { class: 'brand-name' }, 'Phresh ', h('span', { class: 'brand-live' }, 'Live')),
      ),
      createConnectionBadge(client),
      h(
        'div',
        { class: 'account' },
        h(
          'a',
          { class: 'account-name', href: '#profile', 'data-testid': 'username', title: 'Your profile' },
          client.user?.username ?? '',
        ),
        h(
          'button',
          {
            class: 'btn btn-ghost btn-sm',
            type: 'button',
            onclick: (event: Event) => whileBusy(event.currentTarget as HTMLButtonElement, signOut),
          },
          'Sign out',
        ),
      ),
    ),
    h('nav', { class: 'tabs', role: 'tablist', 'aria-label': 'Views' }, ...tabs),
    createConnectionGate(client, root),
  );
  root.replaceChildren(header, alerts.element, h('main', { class: 'content' }, ...panels), notifier.element);
  alerts.clearOnReconnect(client);
  show();

  client.on('error', (e) => {
    // A failed resync step is retried on the next reconnect; an ended session is shown by the badge.
    if (e.status !== 401) alerts.fail('Could not catch up with the server', e);
  });
  client
    .connect()
    .then(() => Promise.all([owner.start(), cleaner.start()]))
    .then(() => linkedJob !== undefined && showJob(linkedJob, openView))
    .catch((e) => alerts.fail('Could not connect', e));
}

boot().catch((e) => {
  root.replaceChildren(
    h('p', { class: 'fatal' }, 'Phresh Live could not start. Reload the page to try again.'),
  );
  alerts.fail('Could not start', e);
  document.body.append(alerts.element);
});
