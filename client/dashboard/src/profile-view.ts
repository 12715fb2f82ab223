import type { PhreshClient, ProfilePublic } from 'phresh-live/client';
import type { Alerts } from './alerts.ts';
import { confirmAction } from './confirm-dialog.ts';
import { fill, h, NEEDS_LIVE, skeleton, whileBusy } from './elements.ts';
import { clearFieldErrors, field, showFieldErrors } from './form-fields.ts';
import { profileDetails } from './public-profile.ts';

/** Your profile: what others see, a form to change it, this browser's notifications, and deactivating the account. */
export function createProfileView(
  client: PhreshClient,
  alerts: Alerts,
  deactivated: () => void,
  notificationSwitch: HTMLElement,
): { element: HTMLElement; start(): Promise<void> } {
  const preview = h('div', { class: 'profile-preview' }, skeleton('Loading your profile…', 1));
  const inputs = {
    full_name: h('input', { name: 'full_name', autocomplete: 'name' }),
    phone_number: h('input', { name: 'phone_number', type: 'tel', autocomplete: 'tel' }),
    image: h('input', { name: 'image', type: 'url', inputmode: 'url', placeholder: 'https://…' }),
    bio: h('textarea', { name: 'bio', rows: 3 }),
  };
  const saved = h('p', { class: 'muted', role: 'status' });
  const submit = h(
    'button',
    { class: 'btn btn-primary', type: 'submit', [NEEDS_LIVE]: true },
    'Save profile',
  );

  const show = (profile: ProfilePublic) => {
    fill(preview, ...profileDetails(profile));
    inputs.full_name.value = profile.full_name ?? '';
    inputs.phone_number.value = profile.phone_number ?? '';
    inputs.image.value = profile.image ?? '';
    inputs.bio.value = profile.bio ?? '';
  };

  const form: HTMLFormElement = h(
    'form',
    {
      class: 'card profile-form',
      novalidate: true,
      'aria-labelledby': 'profile-form-title',
      onsubmit: (event: Event) => {
        event.preventDefault();
        clearFieldErrors(form);
        saved.textContent = '';
        void whileBusy(submit, async () => {
          try {
            // An emptied field clears it, rather than keeping the old value. The answer to an update
            // leaves out the username and email, so the ones already known stay.
            const known = { username: client.user?.username ?? null, email: client.user?.email ?? null };
            show({
              ...(await client.rest.updateProfile({
                full_name: inputs.full_name.value.trim() || null,
                phone_number: inputs.phone_number.value.trim() || null,
                image: inputs.image.value.trim() || null,
                bio: inputs.bio.value.trim() || null,
              })),
              ...known,
            });
            saved.textContent = 'Saved.';
          } catch (e) {
            if (!showFieldErrors(form, e)) alerts.fail('Could not save your profile', e);
          }
        });
      },
    },
    h('h3', { class: 'card-title', id: 'profile-form-title' }, 'Edit your profile'),
    h(
      'div',
      { class: 'form-grid' },
      field('Full name', inputs.full_name, { class: 'span-2' }),
      field('Phone', inputs.phone_number, { class: 'span-2' }),
      field('Picture URL', inputs.image, { class: 'span-4', hint: 'A web address of an image, https://…' }),
      field('About you', inputs.bio, { class: 'span-4' }),
    ),
    h('div', { class: 'form-actions' }, saved, submit),
  );

  const deactivate: HTMLButtonElement = h(
    'button',
    {
      class: 'btn btn-danger',
      type: 'button',
      [NEEDS_LIVE]: true,
      onclick: () =>
        whileBusy(deactivate, async () => {
          const username = client.user?.username;
          if (!username) return;
          const sure = await confirmAction({
            title: 'Deactivate your account?',
            body: 'You are signed out everywhere at once and cannot sign in again. Your jobs and offers stay as they are.',
            confirm: 'Deactivate account',
            cancel: 'Keep my account',
            danger: true,
          });
          if (!sure) return;
          try {
            await client.rest.deactivate(username);
            deactivated();
          } catch (e) {
            alerts.fail('Could not deactivate your account', e);
          }
        }),
    },
    'Deactivate account',
  );

  const element = h(
    'section',
    { class: 'view profile-view', 'data-view': 'profile', id: 'panel-profile' },
    h(
      'div',
      { class: 'view-intro' },
      h('h2', null, 'Profile'),
      h('p', { class: 'muted' }, `Signed in as ${client.user?.username} (${client.user?.email}).`),
    ),
    h(
      'div',
      { class: 'columns' },
      h(
        'div',
        { class: 'column' },
        h('h3', { class: 'section-title' }, 'What others see'),
        h('div', { class: 'card' }, preview),
      ),
      h('div', { class: 'column' }, form),
    ),
    notificationSwitch,
    h(
      'div',
      { class: 'card danger-zone' },
      h('h3', { class: 'card-title' }, 'Deactivate your account'),
      h('p', { class: 'muted' }, 'Stops all sign-ins to this account. This cannot be undone here.'),
      h('div', { class: 'form-actions' }, deactivate),
    ),
  );
  return {
    element,
    start: () =>
      client.rest
        .myProfile()
        .then(show)
        .catch((e) => alerts.fail('Could not load your profile', e)),
  };
}
