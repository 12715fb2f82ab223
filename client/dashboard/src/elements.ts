/** Children `h` accepts: nodes, text, and nothing (skipped). */
export type Child = Node | string | number | null | undefined | false;

type Attributes = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;

/**
 * Builds an element. `on…` attributes that are functions become listeners; `true` sets an empty attribute and
 * `false`/`null`/`undefined` leave it out. Text always goes in as text, never as HTML.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (typeof value === 'function') element.addEventListener(name.slice(2).toLowerCase(), value);
    else if (value === true) element.setAttribute(name, '');
    else if (value !== false && value !== null && value !== undefined)
      element.setAttribute(name, String(value));
  }
  element.append(...nodes(children));
  return element;
}

function nodes(children: Child[]): (Node | string)[] {
  return children.flatMap((c) =>
    c === null || c === undefined || c === false ? [] : [typeof c === 'number' ? String(c) : c],
  );
}

/** Replaces an element's children. */
export function fill(element: Element, ...children: Child[]): void {
  element.replaceChildren(...nodes(children));
}

/**
 * Keeps `container`'s children in step with `items`, one element per key, in order: existing elements are
 * updated in place (so a status changes where it is), new ones created, and the rest removed.
 */
export function reconcile<T>(
  container: Element,
  items: T[],
  key: (item: T) => string,
  create: (item: T) => HTMLElement,
  update: (element: HTMLElement, item: T) => void,
): void {
  const existing = new Map<string, HTMLElement>();
  for (const child of [...container.children])
    if (child instanceof HTMLElement && child.dataset.key !== undefined)
      existing.set(child.dataset.key, child);
  let previous: Element | null = null;
  for (const item of items) {
    const k = key(item);
    let element = existing.get(k);
    if (element) {
      existing.delete(k);
      update(element, item);
    } else {
      element = create(item);
      element.dataset.key = k;
      update(element, item);
    }
    const expected: Element | null = previous ? previous.nextElementSibling : container.firstElementChild;
    if (expected !== element) container.insertBefore(element, expected);
    previous = element;
  }
  for (const stale of existing.values()) stale.remove();
}

/**
 * Runs `action` with `button` disabled and marked busy, so that a click cannot be sent twice. Afterwards the
 * button is enabled again only if the connection allows it (see connection-gate.ts).
 */
export async function whileBusy(button: HTMLButtonElement, action: () => Promise<unknown>): Promise<void> {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    await action();
  } finally {
    button.removeAttribute('aria-busy');
    button.disabled = button.hasAttribute(NEEDS_LIVE) && document.body.dataset.connection !== 'live';
  }
}

/** Marks buttons that send something to the server: they are disabled while the page is not live. */
export const NEEDS_LIVE = 'data-needs-live';

/** Grey placeholder cards while a list loads: `busy` says so to screen readers, the shapes are decoration. */
export function skeleton(label: string, count = 3): HTMLElement {
  return h(
    'div',
    { class: 'skeleton-list', role: 'status', 'data-testid': 'loading' },
    h('span', { class: 'visually-hidden' }, label),
    ...Array.from({ length: count }, () =>
      h(
        'div',
        { class: 'skeleton-card', 'aria-hidden': 'true' },
        h('span', { class: 'skeleton-line wide' }),
        h('span', { class: 'skeleton-line' }),
      ),
    ),
  );
}

/** What a list shows instead of its placeholders when loading failed: never a false "nothing here". */
export function loadFailed(what: string, retry: () => Promise<unknown>): HTMLElement {
  const button: HTMLButtonElement = h(
    'button',
    {
      class: 'btn btn-ghost btn-sm',
      type: 'button',
      [NEEDS_LIVE]: true,
      onclick: () => whileBusy(button, retry),
    },
    'Try again',
  );
  return h('p', { class: 'empty load-failed' }, `${what} `, button);
}
