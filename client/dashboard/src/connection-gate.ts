import type { ConnectionState, PhreshClient } from 'phresh-live/client';
import { h, NEEDS_LIVE } from './elements.ts';

/** The one sentence the page uses for "not connected", whether a REST call or a socket command found out. */
export const OFFLINE_TEXT = 'You are offline. Actions are paused until the connection is back.';

/**
 * Disables every action button (`data-needs-live`) while the page is not live, including buttons created
 * meanwhile, and shows one notice saying so. Returns the notice, to place under the top bar.
 */
export function createConnectionGate(client: PhreshClient, root: HTMLElement): HTMLElement {
  const notice = h('p', { class: 'offline-notice', hidden: true }, OFFLINE_TEXT);
  const apply = () => {
    const live = client.connectionState === 'live';
    for (const button of root.querySelectorAll<HTMLButtonElement>(`button[${NEEDS_LIVE}]`))
      if (!button.hasAttribute('aria-busy')) button.disabled = !live;
  };
  const show = (state: ConnectionState) => {
    document.body.dataset.connection = state;
    notice.hidden = state !== 'reconnecting' && state !== 'offline';
    apply();
  };
  new MutationObserver(() => {
    if (client.connectionState !== 'live') apply();
  }).observe(root, { childList: true, subtree: true });
  show(client.connectionState);
  client.on('state', show);
  return notice;
}
