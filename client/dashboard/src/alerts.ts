import { describeDetail, PhreshError } from 'phresh-live/client';
import { h } from './elements.ts';

/** Where failures are shown: every failed command puts the server's `detail` on the page. */
export type Alerts = {
  element: HTMLElement;
  /** Shows what failed and why; stays until dismissed or replaced by newer ones. */
  fail(what: string, error: unknown): void;
};

const SHOWN_AT_ONCE = 4;
const LINGER_MS = 15_000;

export function createAlerts(): Alerts {
  const element = h('div', { class: 'alerts', 'aria-live': 'assertive' });
  return {
    element,
    fail(what, error) {
      const detail =
        error instanceof PhreshError
          ? describeDetail(error.detail)
          : error instanceof Error
            ? error.message
            : String(error);
      const alert = h(
        'div',
        { class: 'alert', role: 'alert', 'data-code': error instanceof PhreshError ? error.code : 'ERROR' },
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
  };
}
