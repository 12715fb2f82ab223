import type { PhreshClient } from 'phresh-live/client';
import { describeDetail, PhreshError } from 'phresh-live/client';
import { isOffline } from './alerts.ts';
import { OFFLINE_TEXT } from './connection-gate.ts';
import { h } from './elements.ts';
import { clearFieldErrors, field, showFieldErrors } from './form-fields.ts';

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
      if (showFieldErrors(form, e)) return;
      error.hidden = false;
      error.textContent = isOffline(e)
        ? OFFLINE_TEXT
        : e instanceof PhreshError
          ? describeDetail(e.detail)
          : 'Something went wrong. Try again.';
    };
    const email = h('input', { name: 'email', type: 'email', autocomplete: 'username', required: true });
    if (options.renewal?.email) email.value = options.renewal.email;
    const username = h('input', { name: 'username', autocomplete: 'nickname', required: true });
    const password = h('input', {
      name: 'password',
      type: 'password',
      autocomplete: 'current-password',
      required: true,
    });
    const passwordField = field('Password', password, { hint: 'At least 7 characters' });
    const passwordHint = passwordField.querySelector<HTMLElement>('.field-hint')!;
    const usernameField = field('Username', username, {
      hint: '3 to 64 letters, digits, “_” or “-”',
    });
    const submit = h('button', { class: 'btn btn-primary btn-block', type: 'submit' });

    const form = h(
      'form',
      {
        class: 'auth-form',
        id: 'auth-form',
        novalidate: true,
        onsubmit: async (event: Event) => {
          event.preventDefault();
          error.hidden = true;
          clearFieldErrors(form);
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
      passwordField,
      error,
      submit,
    );

    const tabs = h('div', { class: 'segmented', role: 'tablist', 'aria-label': 'Sign in or register' });
    const setMode = (next: Mode) => {
      mode = next;
      clearFieldErrors(form);
      usernameField.hidden = mode !== 'register';
      passwordHint.hidden = mode !== 'register';
      username.required = mode === 'register';
      password.autocomplete = mode === 'register' ? 'new-password' : 'current-password';
      submit.textContent = mode === 'register' ? 'Create account' : 'Sign in';
      error.hidden = true;
      for (const tab of tabs.children) {
        const selected = (tab as HTMLElement).dataset.mode === mode;
        tab.setAttribute('aria-selected', String(selected));
        (tab as HTMLElement).tabIndex = selected ? 0 : -1;
      }
    };
    // Both tabs control the one form, which changes with them; arrow keys switch, as in the WAI-ARIA pattern.
    const modeTab = (value: Mode, label: string) =>
      h(
        'button',
        {
          type: 'button',
          role: 'tab',
          id: `auth-tab-${value}`,
          'aria-controls': 'auth-form',
          'data-mode': value,
          onclick: () => setMode(value),
          onkeydown: (event: Event) => {
            const key = (event as KeyboardEvent).key;
            if (!['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(key)) return;
            event.preventDefault();
            const next: Mode = mode === 'sign-in' ? 'register' : 'sign-in';
            setMode(key === 'Home' ? 'sign-in' : key === 'End' ? 'register' : next);
            tabs.querySelector<HTMLElement>(`[data-mode="${mode}"]`)!.focus();
          },
        },
        label,
      );
    tabs.append(modeTab('sign-in', 'Sign in'), modeTab('register', 'Create account'));

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
    if (!options.renewal) {
      form.setAttribute('role', 'tabpanel');
      form.setAttribute('aria-labelledby', 'auth-title');
    }
    host.append(overlay);
    (options.renewal?.email ? password : email).focus();
  });
}
