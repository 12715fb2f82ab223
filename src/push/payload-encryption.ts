// RFC 8291 message encryption in one aes128gcm record (RFC 8188), with node's native HKDF: web-push's encrypt
// (through http_ece) computes HKDF with a JavaScript HMAC per step, which cost about as much as the ECDH itself.
import { createCipheriv, createECDH, hkdfSync, randomBytes } from 'node:crypto';

/** The record size written in the header; a notification is one record, at most 4096 bytes (RFC 8030 §7.2). */
const RECORD_SIZE = 4096;
const KEY_INFO = Buffer.from('WebPush: info\0');
const CEK_INFO = Buffer.from('Content-Encoding: aes128gcm\0');
const NONCE_INFO = Buffer.from('Content-Encoding: nonce\0');
/** The delimiter that ends the last (here the only) record's plaintext, before its padding (none). */
const LAST_RECORD = Buffer.from([2]);

/**
 * Encrypts `payload` for a subscription's `p256dh` key and `auth` secret (base64url), with a key pair and a salt
 * of its own, as RFC 8291 asks of every message. Returns the request body for `Content-Encoding: aes128gcm`.
 */
export function encryptPayload(payload: string, keys: { p256dh: string; auth: string }): Buffer {
  const userAgentKey = Buffer.from(keys.p256dh, 'base64url');
  const auth = Buffer.from(keys.auth, 'base64url');
  const ecdh = createECDH('prime256v1');
  const serverKey = ecdh.generateKeys();
  const shared = ecdh.computeSecret(userAgentKey);
  const ikm = Buffer.from(
    hkdfSync('sha256', shared, auth, Buffer.concat([KEY_INFO, userAgentKey, serverKey]), 32),
  );
  const salt = randomBytes(16);
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, CEK_INFO, 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, NONCE_INFO, 12));
  const cipher = createCipheriv('aes-128-gcm', cek, nonce);
  const header = Buffer.alloc(21);
  salt.copy(header, 0);
  header.writeUInt32BE(RECORD_SIZE, 16);
  header[20] = serverKey.length;
  return Buffer.concat([
    header,
    serverKey,
    cipher.update(payload, 'utf8'),
    cipher.update(LAST_RECORD),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
}
