import { describeDetail, PhreshError, type PhreshClient } from 'phresh-live/client';
import { OFFLINE_TEXT } from './connection-gate.ts';
import { h } from './elements.ts';

/** Where failures are shown: every failed command puts the server's `detail` on the page. */
export type Alerts = {
  element: HTMLElement;
  /** Shows what failed and why; stays until dismissed or replaced by newer ones. */
  fail(what: string, error: unknown): void;
  /** Removes the alerts about being offline once the connection is back, so that none contradicts the badge. */
  clearOnReconnect(client: PhreshClient): void;
};

const SHOWN_AT_ONCE = 4;
const LINGER_MS = 15_000;

/** True for failures that only mean "not connected": the REST call never got an answer, or the socket was down. */
export function isOffline(error: unknown): boolean {
  return error instanceof PhreshError && (error.code === 'NETWORK' || error.code === 'OFFLINE');
}

export function createAlerts(): Alerts {
  const element = h('div', { class: 'alerts' });
  return {
    element,
    fail(what, error) {
      const offline = isOffline(error);
      const detail = offline
        ? OFFLINE_TEXT
        : error instanceof PhreshError
          ? describeDetail(error.detail)
          : error instanceof Error
            ? error.message
            : String(error);
      const alert = h(
        'div',
        {
          class: 'alert',
          role: 'alert',
          'data-code': error instanceof PhreshError ? error.code : 'ERROR',
          'data-offline': offline,
        },
        h(
          'div',
          { class: 'alert-text' },
          h('strong', null, what),
          h('span', { class: 'alert-detail' }, detail),
        ),
        h(
          'button',
          { class: 'alert-close', type: 'button', 'aria-label': 'Dismiss', onclick: () => alert.remove() },
          '×',
        ),
      );
      element.prepend(alert);
      while (element.children.length > SHOWN_AT_ONCE) element.lastElementChild?.remove();
      setTimeout(() => alert.remove(), LINGER_MS);
    },
    clearOnReconnect(client) {
      client.on('state', (state) => {
        if (state === 'live') for (const alert of element.querySelectorAll('[data-offline]')) alert.remove();
      });
    },
  };
}
