import type { EvaluationCreateInput } from 'phresh-live/client';
import { fill, h, NEEDS_LIVE, whileBusy } from './elements.ts';
import { clearFieldErrors, field, showFieldErrors } from './form-fields.ts';
import { MAX_STARS } from './star-rating.ts';

const RATINGS = [
  { name: 'overall_rating', label: 'Overall', required: true },
  { name: 'professionalism', label: 'Professionalism', required: false },
  { name: 'completeness', label: 'Completeness', required: false },
  { name: 'efficiency', label: 'Efficiency', required: false },
] as const;

let ids = 0;

/**
 * "Mark done and rate": a modal form (focus kept inside, Escape cancels) that completes the job by evaluating its
 * cleaner. It is final, so the dialog says so, and it stays open on a refusal: a 422 is shown at its fields,
 * anything else inside the dialog. Resolves once the dialog is closed, with whether the rating was saved.
 *
 * It is placed in `host` (inside the page's root), so that the connection gate disables its submit button offline.
 */
export function rateCleaner(options: {
  host: HTMLElement;
  cleaner: string;
  job: string;
  save: (input: EvaluationCreateInput) => Promise<unknown>;
}): Promise<boolean> {
  const { cleaner, job } = options;
  const id = `rate-${++ids}`;
  return new Promise((resolve) => {
    let saved = false;
    const close = () => {
      dialog.close();
      dialog.remove();
      resolve(saved);
    };
    const problem = h('p', { class: 'dialog-error', role: 'alert', hidden: true });
    const submit: HTMLButtonElement = h(
      'button',
      { class: 'btn btn-primary', type: 'submit', [NEEDS_LIVE]: true },
      'Mark done and rate',
    );
    const form: HTMLFormElement = h(
      'form',
      {
        class: 'rate-form',
        novalidate: true,
        // A rating chosen after an error answers it: the error goes, rather than contradicting the stars.
        onchange: (event: Event) => {
          const target = event.target as HTMLInputElement;
          if (target.type !== 'radio') return;
          const group = target.closest('fieldset')!;
          for (const radio of group.querySelectorAll('[aria-invalid]')) radio.removeAttribute('aria-invalid');
          group.querySelector<HTMLElement>('.field-error')!.hidden = true;
        },
        onsubmit: (event: Event) => {
          event.preventDefault();
          void whileBusy(submit, async () => {
            clearFieldErrors(form);
            problem.hidden = true;
            try {
              await options.save(readEvaluation(form));
              saved = true;
              close();
            } catch (e) {
              if (showFieldErrors(form, e)) return;
              fill(problem, e instanceof Error ? e.message : 'Something went wrong. Try again.');
              problem.hidden = false;
            }
          });
        },
      },
      ...RATINGS.map((r) => starGroup(r.name, r.label, r.required)),
      h(
        'label',
        { class: 'check' },
        h('input', { type: 'checkbox', name: 'no_show' }),
        h('span', null, `${cleaner} did not show up`),
      ),
      field('Headline', h('input', { name: 'headline', maxlength: 200, autocomplete: 'off' }), {
        hint: 'Optional. One line others see first.',
      }),
      field('Comment', h('textarea', { name: 'comment', rows: 3, maxlength: 5000 }), {
        hint: 'Optional.',
      }),
      problem,
      h(
        'div',
        { class: 'confirm-actions' },
        h('button', { class: 'btn btn-ghost', type: 'button', onclick: close }, 'Not yet'),
        submit,
      ),
    );
    const dialog = h(
      'dialog',
      {
        class: 'confirm rate',
        'aria-labelledby': `${id}-title`,
        'aria-describedby': `${id}-body`,
        oncancel: (event: Event) => {
          event.preventDefault();
          close();
        },
      },
      h('h2', { id: `${id}-title` }, `Mark “${job}” done and rate ${cleaner}`),
      h(
        'p',
        { id: `${id}-body` },
        `This completes the job for good: it can no longer be edited, deleted or given to someone else, and the rating cannot be changed. ${cleaner} sees it at once.`,
      ),
      form,
    );
    options.host.append(dialog);
    dialog.showModal();
    form.querySelector<HTMLInputElement>('input[name="overall_rating"]')!.focus();
  });
}

/**
 * A rating as a group of radio buttons drawn as stars: native keyboard use (arrows), one name read for the group,
 * and a place for its error that every option points to. Optional ratings start on "Skip".
 */
function starGroup(name: string, label: string, required: boolean): HTMLFieldSetElement {
  const errorId = `${name}-${++ids}-error`;
  const option = (value: string, visible: string, words: string, checked = false) =>
    h(
      'label',
      { class: `star-option${value === '' ? ' skip' : value === '0' ? ' zero' : ''}` },
      h('input', { type: 'radio', name, value, checked, 'aria-describedby': errorId }),
      h('span', { 'aria-hidden': 'true' }, visible),
      h('span', { class: 'visually-hidden' }, words),
    );
  return h(
    'fieldset',
    { class: 'star-group' },
    h(
      'legend',
      { class: 'field-label' },
      label,
      h('span', { class: 'legend-note' }, required ? ' (required)' : ' (optional)'),
    ),
    h(
      'div',
      { class: 'star-options' },
      required ? null : option('', 'Skip', 'Not rated', true),
      option('0', '0', '0 stars'),
      ...Array.from({ length: MAX_STARS }, (_, i) =>
        option(String(i + 1), '★', `${i + 1} ${i === 0 ? 'star' : 'stars'}`),
      ),
    ),
    h('span', { class: 'field-error', id: errorId, hidden: true }),
  );
}

/** The form as the API's evaluation; an overall rating left unchosen is left out, for the server to name. */
function readEvaluation(form: HTMLFormElement): EvaluationCreateInput {
  const data = new FormData(form);
  const rating = (name: string) => {
    const value = data.get(name);
    return typeof value === 'string' && value !== '' ? Number(value) : null;
  };
  const text = (name: string) => {
    const value = data.get(name);
    return typeof value === 'string' && value.trim() !== '' ? value : null;
  };
  return {
    overall_rating: rating('overall_rating') ?? undefined,
    professionalism: rating('professionalism'),
    completeness: rating('completeness'),
    efficiency: rating('efficiency'),
    no_show: data.has('no_show'),
    headline: text('headline'),
    comment: text('comment'),
  } as EvaluationCreateInput;
}
