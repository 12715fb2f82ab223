import { h } from './elements.ts';

export type Confirmation = {
  title: string;
  body: string;
  /** The button that goes ahead, named after what it does ("Accept offer"). */
  confirm: string;
  /** The button that keeps things as they are ("Keep looking"). */
  cancel: string;
  danger?: boolean;
};

/**
 * Asks before an action that cannot be undone, in a modal `<dialog>` (focus kept inside, Escape cancels).
 * Focus starts on the safe choice, so that a stray Enter changes nothing.
 */
export function confirmAction(question: Confirmation): Promise<boolean> {
  return new Promise((resolve) => {
    const close = (answer: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    const keep = h(
      'button',
      { class: 'btn btn-ghost', type: 'button', onclick: () => close(false) },
      question.cancel,
    );
    const dialog = h(
      'dialog',
      {
        class: 'confirm',
        'aria-labelledby': 'confirm-title',
        'aria-describedby': 'confirm-body',
        oncancel: (event: Event) => {
          event.preventDefault();
          close(false);
        },
      },
      h('h2', { id: 'confirm-title' }, question.title),
      h('p', { id: 'confirm-body' }, question.body),
      h(
        'div',
        { class: 'confirm-actions' },
        keep,
        h(
          'button',
          {
            class: question.danger ? 'btn btn-danger' : 'btn btn-primary',
            type: 'button',
            onclick: () => close(true),
          },
          question.confirm,
        ),
      ),
    );
    document.body.append(dialog);
    dialog.showModal();
    keep.focus();
  });
}
