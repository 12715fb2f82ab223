/**
 * The WAI-ARIA tabs pattern on existing elements: one tab in the Tab order (roving tabindex), arrow keys, Home
 * and End move between tabs and activate them, each tab controls its panel.
 */
export function makeTabs(
  tabs: HTMLElement[],
  panels: HTMLElement[],
  activate: (index: number) => void,
): { select(index: number): void } {
  tabs.forEach((tab, i) => {
    tab.setAttribute('role', 'tab');
    tab.setAttribute('aria-controls', panels[i]!.id);
    panels[i]!.setAttribute('role', 'tabpanel');
    panels[i]!.setAttribute('aria-labelledby', tab.id);
    tab.addEventListener('keydown', (event) => {
      const next =
        event.key === 'ArrowRight'
          ? (i + 1) % tabs.length
          : event.key === 'ArrowLeft'
            ? (i - 1 + tabs.length) % tabs.length
            : event.key === 'Home'
              ? 0
              : event.key === 'End'
                ? tabs.length - 1
                : -1;
      if (next < 0) return;
      event.preventDefault();
      activate(next);
      tabs[next]!.focus();
    });
  });
  return {
    select(index) {
      tabs.forEach((tab, i) => {
        tab.setAttribute('aria-selected', String(i === index));
        tab.tabIndex = i === index ? 0 : -1;
        panels[i]!.hidden = i !== index;
      });
    },
  };
}
