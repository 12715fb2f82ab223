import { describeDetail, PhreshError, type PhreshClient, type ProfilePublic } from 'phresh-live/client';
import { OFFLINE_TEXT } from './connection-gate.ts';
import { isOffline } from './alerts.ts';
import { fill, h } from './elements.ts';

/** A username that opens that person's public profile. */
export function profileLink(client: PhreshClient, username: string): HTMLButtonElement {
  return h(
    'button',
    {
      class: 'link-button',
      type: 'button',
      'data-profile': username,
      onclick: () => void showPublicProfile(client, username),
    },
    username,
  );
}

/** Another user's public profile in a dialog, so that the live lists stay where they are underneath. */
export async function showPublicProfile(client: PhreshClient, username: string): Promise<void> {
  const body = h('div', { class: 'profile-body', role: 'status' }, 'Loading the profile…');
  const close = h(
    'button',
    { class: 'btn btn-ghost', type: 'button', onclick: () => dialog.close() },
    'Close',
  );
  const dialog = h(
    'dialog',
    {
      class: 'confirm profile-dialog',
      'aria-labelledby': 'profile-dialog-title',
      onclose: () => dialog.remove(),
    },
    h('h2', { id: 'profile-dialog-title' }, username),
    body,
    h('div', { class: 'confirm-actions' }, close),
  );
  document.body.append(dialog);
  dialog.showModal();
  close.focus();
  try {
    fill(body, ...profileDetails(await client.rest.profile(username)));
    body.removeAttribute('role');
  } catch (e) {
    fill(
      body,
      h(
        'p',
        { class: 'form-error' },
        isOffline(e)
          ? OFFLINE_TEXT
          : e instanceof PhreshError
            ? describeDetail(e.detail)
            : 'Could not load it.',
      ),
    );
  }
}

/** What anyone may see of a profile. */
export function profileDetails(profile: ProfilePublic): HTMLElement[] {
  const rows: [string, string | null][] = [
    ['Name', profile.full_name],
    ['Phone', profile.phone_number],
    ['About', profile.bio],
  ];
  const shown = rows.filter(([, value]) => value);
  return [
    profile.image?.startsWith('https://')
      ? h('img', { class: 'avatar', src: profile.image, alt: `Picture of ${profile.username ?? 'the user'}` })
      : h('span', { class: 'avatar avatar-empty', 'aria-hidden': 'true' }, (profile.username ?? '?')[0]!),
    shown.length
      ? h(
          'dl',
          { class: 'profile-facts' },
          ...shown.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)]),
        )
      : h('p', { class: 'muted' }, 'No details shared yet.'),
  ];
}
