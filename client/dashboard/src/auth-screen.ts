import type { PhreshClient } from 'phresh-live/client';
import { describeDetail, PhreshError } from 'phresh-live/client';
import { h } from './elements.ts';

type Mode = 'sign-in' | 'register';

/**
 * Sign in or create an account; resolves once signed in. With `renewal`, it is shown over the page (which stays
 * as it is underneath) because the session expired.
 */
export function showAuthScreen(
  host: HTMLElement,
  client: PhreshClient,
  options: { renewal?: { email?: string } } = {},
): Promise<void> {
  return new Promise((resolve) => {
    let mode: Mode = 'sign-in';
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const fail = (e: unknown) => {
      error.hidden = false;
      error.textContent =
        e instanceof PhreshError ? describeDetail(e.detail) : 'Something went wrong. Try again.';
    };

    const field = (label: string, input: HTMLInputElement) =>
      h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), input);
    const email = h('input', { name: 'email', type: 'email', autocomplete: 'username', required: true });
    if (options.renewal?.email) email.value = options.renewal.email;
    const username = h('input', { name: 'username', autocomplete: 'nickname', required: true });
    const password = h('input', {
      name: 'password',
      type: 'password',
      autocomplete: 'current-password',
      required: true,
    });
    const usernameField = field('Username', username);
    const submit = h('button', { class: 'btn btn-primary btn-block', type: 'submit' });

    const form = h(
      'form',
      {
        class: 'auth-form',
        novalidate: true,
        onsubmit: async (event: Event) => {
          event.preventDefault();
          error.hidden = true;
          submit.disabled = true;
          try {
            if (mode === 'register')
              await client.register({
                username: username.value.trim(),
                email: email.value.trim(),
                password: password.value,
              });
            else await client.login(email.value.trim(), password.value);
            overlay.remove();
            resolve();
          } catch (e) {
            fail(e);
          } finally {
            submit.disabled = false;
          }
        },
      },
      usernameField,
      field('Email', email),
      field('Password', password),
      error,
      submit,
    );

    const tabs = h('div', { class: 'segmented', role: 'tablist' });
    const setMode = (next: Mode) => {
      mode = next;
      usernameField.hidden = mode !== 'register';
      username.required = mode === 'register';
      password.autocomplete = mode === 'register' ? 'new-password' : 'current-password';
      submit.textContent = mode === 'register' ? 'Create account' : 'Sign in';
      error.hidden = true;
      for (const tab of tabs.children)
        tab.setAttribute('aria-selected', String((tab as HTMLElement).dataset.mode === mode));
    };
    tabs.append(
      h(
        'button',
        { type: 'button', role: 'tab', 'data-mode': 'sign-in', onclick: () => setMode('sign-in') },
        'Sign in',
      ),
      h(
        'button',
        { type: 'button', role: 'tab', 'data-mode': 'register', onclick: () => setMode('register') },
        'Create account',
      ),
    );

    const card = h(
      'section',
      { class: 'auth-card', 'aria-labelledby': 'auth-title' },
      h(
        'div',
        { class: 'brand brand-large' },
        h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, 'P'),
        'Phresh',
        h('span', { class: 'brand-live' }, 'Live'),
      ),
      options.renewal
        ? h(
            'div',
            null,
            h('h1', { id: 'auth-title' }, 'Your session expired'),
            h(
              'p',
              { class: 'muted' },
              'Sign in again to pick up where you left off. Nothing on the page is lost.',
            ),
          )
        : h(
            'div',
            null,
            h('h1', { id: 'auth-title' }, 'Cleaning jobs, live'),
            h(
              'p',
              { class: 'muted' },
              'Post a job and watch offers arrive, or find work and see your offers change the moment owners decide.',
            ),
          ),
      options.renewal ? null : tabs,
      form,
    );
    const overlay = h('div', { class: options.renewal ? 'auth-screen auth-overlay' : 'auth-screen' }, card);
    setMode('sign-in');
    host.append(overlay);
    (options.renewal?.email ? password : email).focus();
  });
}
