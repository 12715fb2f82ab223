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

/** Runs `action` with `button` disabled and marked busy, so that a click cannot be sent twice. */
export async function whileBusy(button: HTMLButtonElement, action: () => Promise<unknown>): Promise<void> {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    await action();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}
