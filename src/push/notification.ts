// What a notification says: the payload the service worker decrypts, and the headers the push service reads.
import { createHash } from 'node:crypto';
import type { OfferEventPublic } from '../contract/schemas.ts';
import type { PushPayload } from '../contract/push.ts';

/**
 * Most bytes of plaintext in one notification: 4096 bytes of aes128gcm record (RFC 8291) less its 86-byte
 * header, the 16-byte tag and the padding delimiter.
 */
export const MAX_PAYLOAD_BYTES = 4096 - 86 - 16 - 1;
/** A cleaning's name in a title or body is cut to this many characters first. */
const MAX_NAME_CHARS = 80;

/** An offer event, with what its sentences need: the cleaning's name and the offerer's username. */
export type NotifiedEvent = { event: OfferEventPublic; cleaningName: string; offererName: string | null };

function sentences(
  type: OfferEventPublic['type'],
  name: string,
  who: string,
): { title: string; body: string } {
  switch (type) {
    case 'accepted':
      return { title: 'Offer accepted', body: `Your offer on ${name} was accepted` };
    case 'rejected':
      return { title: 'Offer not taken', body: `Your offer on ${name} was rejected` };
    case 'pending':
      return { title: 'Offer open again', body: `Your offer on ${name} is pending again` };
    case 'completed':
      return { title: 'Job completed', body: `Your work on ${name} was marked completed` };
    case 'created':
      return { title: 'New offer', body: `${who} made an offer on ${name}` };
    case 'rescinded':
      return { title: 'Offer withdrawn', body: `${who} withdrew their offer on ${name}` };
    case 'cancelled':
      return { title: 'Accepted offer cancelled', body: `${who} cancelled their accepted offer on ${name}` };
  }
}

const cut = (text: string, chars: number) =>
  [...text].length <= chars ? text : `${[...text].slice(0, Math.max(0, chars - 1)).join('')}…`;

/**
 * The decrypted payload: the event as the socket pushes it, human sentences, and the job's page. It always fits
 * `MAX_PAYLOAD_BYTES`: the cleaning's name is shortened first, then an evaluation's comment (the only long text
 * an event carries); the whole event stays in the log.
 */
export function notificationPayload({ event, cleaningName, offererName }: NotifiedEvent): string {
  const url = `/?cleaning=${event.cleaning_id}`;
  const who = offererName ?? 'A cleaner';
  let payload: PushPayload = { event, ...sentences(event.type, cut(cleaningName, MAX_NAME_CHARS), who), url };
  let json = JSON.stringify(payload);
  for (let chars = MAX_NAME_CHARS; Buffer.byteLength(json) > MAX_PAYLOAD_BYTES && chars > 10; chars -= 10) {
    payload = { ...payload, ...sentences(event.type, cut(cleaningName, chars), who) };
    json = JSON.stringify(payload);
  }
  const evaluation = event.offer?.evaluation;
  if (Buffer.byteLength(json) > MAX_PAYLOAD_BYTES && evaluation?.comment) {
    const over = Buffer.byteLength(json) - MAX_PAYLOAD_BYTES;
    // JSON escapes can make a character up to 6 bytes; cutting that much per byte over always fits.
    const keep = Math.max(0, [...evaluation.comment].length - over - 1);
    const offer = { ...event.offer!, evaluation: { ...evaluation, comment: cut(evaluation.comment, keep) } };
    payload = { ...payload, event: { ...event, offer } };
    json = JSON.stringify(payload);
    for (let k = keep; Buffer.byteLength(json) > MAX_PAYLOAD_BYTES && k > 0; k = Math.floor(k / 2)) {
      offer.evaluation.comment = cut(evaluation.comment, Math.floor(k / 2));
      json = JSON.stringify(payload);
    }
  }
  return json;
}

/** `high` for what a cleaner acts on at once (accepted, completed), `normal` otherwise. */
export function notificationUrgency(type: OfferEventPublic['type']): 'high' | 'normal' {
  return type === 'accepted' || type === 'completed' ? 'high' : 'normal';
}

/**
 * The Topic header: one per cleaning and recipient, so that a push service replaces an undelivered older
 * notification about the same job with the newer one. 24 base64url characters of a hash.
 */
export function notificationTopic(cleaningId: number, recipientId: number): string {
  return createHash('sha256').update(`${cleaningId}:${recipientId}`).digest('base64url').slice(0, 24);
}
