import type { CleaningPublic, CleaningType } from 'phresh-live/client';
import type { Alerts } from './alerts.ts';
import { h, NEEDS_LIVE, whileBusy } from './elements.ts';
import { clearFieldErrors, field, showFieldErrors } from './form-fields.ts';
import { CLEANING_TYPE_LABELS } from './formatting.ts';

type CleaningInput = {
  name: string;
  price: string;
  cleaning_type: CleaningType;
  description: string | null;
};

/**
 * The form to post a job, or (with `initial`) to edit one. The server's schema is the one source of validation:
 * the form sends what was typed and shows a 422 at its fields, in plain words.
 */
export function createCleaningForm(options: {
  alerts: Alerts;
  title: string;
  submitLabel: string;
  failure: string;
  initial?: CleaningPublic;
  save(input: CleaningInput): Promise<unknown>;
  cancel?: () => void;
}): HTMLFormElement {
  const { initial } = options;
  const name = h('input', {
    name: 'name',
    placeholder: 'Deep clean of a two-room flat',
    autocomplete: 'off',
    value: initial?.name,
  });
  const price = h('input', {
    name: 'price',
    inputmode: 'decimal',
    placeholder: '80.50',
    autocomplete: 'off',
    value: initial?.price,
  });
  const type = h(
    'select',
    { name: 'cleaning_type' },
    ...Object.entries(CLEANING_TYPE_LABELS).map(([value, label]) =>
      h('option', { value, selected: value === (initial?.cleaning_type ?? 'spot_clean') }, label),
    ),
  );
  const description = h('textarea', {
    name: 'description',
    rows: 2,
    placeholder: 'Anything the cleaner should know (optional)',
  });
  description.value = initial?.description ?? '';
  const submit = h(
    'button',
    { class: 'btn btn-primary', type: 'submit', [NEEDS_LIVE]: true },
    options.submitLabel,
  );
  const form: HTMLFormElement = h(
    'form',
    {
      class: initial ? 'cleaning-form cleaning-edit' : 'card cleaning-form',
      novalidate: true,
      'aria-label': options.title,
      onsubmit: (event: Event) => {
        event.preventDefault();
        clearFieldErrors(form);
        void whileBusy(submit, async () => {
          try {
            await options.save({
              name: name.value,
              price: price.value.trim(),
              cleaning_type: type.value as CleaningType,
              description: description.value.trim() || null,
            });
            if (!initial) form.reset();
          } catch (e) {
            if (!showFieldErrors(form, e)) options.alerts.fail(options.failure, e);
          }
        });
      },
    },
    initial ? null : h('h3', { class: 'card-title' }, options.title),
    h(
      'div',
      { class: 'form-grid' },
      field('Job title', name, { class: 'span-2' }),
      field('Price (USD)', price, { hint: 'A number, with a dot for cents: 80.50' }),
      field('Type', type),
      field('Details', description, { class: 'span-4' }),
    ),
    h(
      'div',
      { class: 'form-actions' },
      options.cancel
        ? h('button', { class: 'btn btn-ghost', type: 'button', onclick: options.cancel }, 'Discard changes')
        : null,
      submit,
    ),
  );
  return form;
}
