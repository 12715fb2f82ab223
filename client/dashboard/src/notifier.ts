import { h } from './elements.ts';

const TITLE = 'Phresh Live';

/**
 * Tells people what changed: one polite live region that says only the change (not the whole page), and an
 * unread count in the tab's title while the tab is in the background.
 */
export function createNotifier(): { element: HTMLElement; notify(text: string): void } {
  const element = h('div', { class: 'visually-hidden', role: 'status', 'data-testid': 'announcer' });
  let unread = 0;
  const showTitle = () => {
    document.title = unread > 0 ? `(${unread}) ${TITLE}` : TITLE;
  };
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') {
      unread = 0;
      showTitle();
    }
  });
  return {
    element,
    notify(text) {
      element.textContent = text;
      if (document.visibilityState === 'hidden') {
        unread++;
        showTitle();
      }
    },
  };
}
