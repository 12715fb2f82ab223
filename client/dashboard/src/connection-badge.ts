import type { ConnectionState, PhreshClient } from 'phresh-live/client';
import { h } from './elements.ts';

const LABELS: Record<ConnectionState, { text: string; title: string }> = {
  live: { text: 'Live', title: 'Connected: changes appear as they happen.' },
  connecting: { text: 'Connecting…', title: 'Connecting to the server.' },
  reconnecting: {
    text: 'Reconnecting…',
    title: 'Connection lost. Reconnecting; what changed meanwhile will appear.',
  },
  offline: { text: 'Offline', title: 'Not connected. Sign in again or reload to reconnect.' },
};

/** The connection state, always in view: live, connecting, reconnecting or offline. */
export function createConnectionBadge(client: PhreshClient): HTMLElement {
  const label = h('span', { class: 'connection-label' });
  const badge = h(
    'div',
    { class: 'connection', role: 'status' },
    h('span', { class: 'connection-dot', 'aria-hidden': 'true' }),
    label,
  );
  const show = (state: ConnectionState) => {
    badge.dataset.state = state;
    badge.title = LABELS[state].title;
    label.textContent = LABELS[state].text;
  };
  show(client.connectionState);
  client.on('state', show);
  return badge;
}
