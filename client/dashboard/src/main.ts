import './styles.css';
import { PhreshClient } from 'phresh-live/client';
import { createAlerts } from './alerts.ts';
import { showAuthScreen } from './auth-screen.ts';
import { createCleanerView } from './cleaner-view.ts';
import { createConnectionBadge } from './connection-badge.ts';
import { h } from './elements.ts';
import { createOwnerView } from './owner-view.ts';
import { loadToken, saveToken } from './session-store.ts';

type ViewName = 'owner' | 'cleaner';

const root = document.getElementById('app')!;
const alerts = createAlerts();

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
  if (!client.accessToken) await showAuthScreen(root, client);
  else await client.resume();
  saveToken(client.accessToken);
  mount();
}

function mount() {
  const owner = createOwnerView(client, alerts);
  const cleaner = createCleanerView(client, alerts);
  const views: Record<ViewName, HTMLElement> = { owner: owner.element, cleaner: cleaner.element };
  const tabs = (Object.keys(views) as ViewName[]).map((name) =>
    h(
      'a',
      { class: 'tab', href: `#${name}`, role: 'tab', 'data-tab': name },
      name === 'owner' ? 'My cleanings' : 'Find work',
    ),
  );
  const show = () => {
    const current: ViewName = location.hash === '#cleaner' ? 'cleaner' : 'owner';
    for (const [name, view] of Object.entries(views)) view.hidden = name !== current;
    for (const tab of tabs) tab.setAttribute('aria-selected', String(tab.dataset.tab === current));
  };
  window.addEventListener('hashchange', show);

  const signOut = () => {
    saveToken(undefined);
    client.close();
    location.hash = '';
    location.reload();
  };
  root.replaceChildren(
    h(
      'header',
      { class: 'topbar' },
      h(
        'div',
        { class: 'topbar-inner' },
        h(
          'a',
          { class: 'brand', href: '#owner' },
          h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, 'P'),
          'Phresh',
          h('span', { class: 'brand-live' }, 'Live'),
        ),
        createConnectionBadge(client),
        h(
          'div',
          { class: 'account' },
          h('span', { class: 'account-name', 'data-testid': 'username' }, client.user?.username ?? ''),
          h('button', { class: 'btn btn-ghost btn-sm', type: 'button', onclick: signOut }, 'Sign out'),
        ),
      ),
      h('nav', { class: 'tabs', role: 'tablist', 'aria-label': 'Views' }, ...tabs),
    ),
    h('main', { class: 'content' }, owner.element, cleaner.element),
    alerts.element,
  );
  show();

  client.on('error', (e) => {
    // A failed resync step is retried on the next reconnect; an ended session is shown by the badge.
    if (e.status !== 401) alerts.fail('Could not catch up with the server', e);
  });
  client
    .connect()
    .then(() => Promise.all([owner.start(), cleaner.start()]))
    .catch((e) => alerts.fail('Could not connect', e));
}

boot().catch((e) => {
  root.replaceChildren(
    h('p', { class: 'fatal' }, 'Phresh Live could not start. Reload the page to try again.'),
  );
  alerts.fail('Could not start', e);
  document.body.append(alerts.element);
});
