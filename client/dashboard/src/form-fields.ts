import { describeDetail, PhreshError, type ValidationIssue } from 'phresh-live/client';
import { h } from './elements.ts';

type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

let ids = 0;

/**
 * A labelled control with an optional hint and a place for its error, both tied to the control through
 * `aria-describedby`, so that a screen reader reads them with the field.
 */
export function field(label: string, control: Control, options: { hint?: string; class?: string } = {}) {
  const id = `field-${++ids}`;
  const hint = options.hint ? h('span', { class: 'field-hint', id: `${id}-hint` }, options.hint) : null;
  const error = h('span', { class: 'field-error', id: `${id}-error`, hidden: true });
  control.setAttribute('aria-describedby', [hint?.id, error.id].filter(Boolean).join(' '));
  return h(
    'label',
    { class: `field ${options.class ?? ''}`.trim() },
    h('span', { class: 'field-label' }, label),
    control,
    hint,
    error,
  );
}

/** Hides every field error of `form`. */
export function clearFieldErrors(form: HTMLElement): void {
  for (const control of form.querySelectorAll('[aria-invalid]')) control.removeAttribute('aria-invalid');
  for (const error of form.querySelectorAll<HTMLElement>('.field-error')) error.hidden = true;
}

/**
 * Shows a 422's issues at their fields, in plain words, and focuses the first one. Returns false when the error
 * is not about fields (or names none of this form's), so that the caller shows it elsewhere.
 */
export function showFieldErrors(form: HTMLElement, error: unknown): boolean {
  clearFieldErrors(form);
  if (!(error instanceof PhreshError)) return false;
  const taken = TAKEN[error.code];
  const issues: ValidationIssue[] | undefined = Array.isArray(error.detail)
    ? error.detail
    : taken && [{ loc: [taken.field], msg: taken.words, type: 'taken' }];
  if (!issues) return false;
  let first: Control | undefined;
  for (const issue of issues) {
    // `loc` is where the value was (body, query…), the wrapper key, then the field.
    const name = issue.loc.filter((part) => typeof part === 'string').at(-1);
    const control = name ? form.querySelector<Control>(`[name="${CSS.escape(name)}"]`) : null;
    if (!control || !name) return false;
    const message = document.getElementById(control.getAttribute('aria-describedby')!.split(' ').at(-1)!);
    if (!message) return false;
    if (message.hidden) message.textContent = inPlainWords(name, issue, control.value);
    message.hidden = false;
    control.setAttribute('aria-invalid', 'true');
    first ??= control;
  }
  first?.focus();
  return first !== undefined;
}

/** Refusals that are about one field, though not a 422. */
const TAKEN: Partial<Record<string, { field: string; words: string }>> = {
  USERNAME_TAKEN: { field: 'username', words: 'That username is taken. Try another one.' },
  EMAIL_TAKEN: { field: 'email', words: 'An account with this email exists already. Sign in instead.' },
};

/** What a person should do about an issue, rather than the schema's words. */
export function inPlainWords(field: string, issue: ValidationIssue, value: string): string {
  const tooLong = issue.type === 'too_big';
  const tooShort = issue.type === 'too_small';
  if (issue.type === 'taken') return issue.msg;
  switch (field) {
    case 'name':
      return tooLong ? 'Keep the title under 200 characters.' : 'Give the job a title.';
    case 'price':
      if (value.includes(',')) return 'Use a dot for cents, like 80.50 (not 80,50).';
      if (/greater than 0|at least/.test(issue.msg)) return 'Enter a price above $0.';
      if (/less than or equal/.test(issue.msg)) {
        const max = /[\d.]+$/.exec(issue.msg)?.[0];
        return max ? `Enter a price of at most $${max}.` : 'Enter a lower price.';
      }
      return 'Enter the price as a number, like 80.50.';
    case 'description':
      return 'Keep the details under 5,000 characters.';
    case 'username':
      if (tooShort) return 'Use at least 3 characters.';
      if (tooLong) return 'Use at most 64 characters.';
      return 'Use only letters, digits, “_” and “-”, with no spaces.';
    case 'email':
      return 'Enter an email address, like name@example.com.';
    case 'password':
      return tooLong ? 'Use at most 100 characters.' : 'Use at least 7 characters.';
    case 'image':
      return 'Enter a web address, like https://example.com/me.jpg.';
    case 'full_name':
      return 'Keep your name under 200 characters.';
    case 'phone_number':
      return 'Keep the phone number under 50 characters.';
    case 'bio':
      return 'Keep the bio under 5,000 characters.';
    case 'overall_rating':
      return 'Choose an overall rating, from 0 to 5 stars.';
    case 'professionalism':
    case 'completeness':
    case 'efficiency':
      return 'Choose from 0 to 5 stars, or Skip.';
    case 'headline':
      return 'Keep the headline under 200 characters.';
    case 'comment':
      return 'Keep the comment under 5,000 characters.';
    default:
      return describeDetail([issue]);
  }
}
