// The push-service allow-list, on its own: which endpoints pass, and how PUSH_SERVICE_ORIGINS entries are read.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import {
  checkPushEndpoint,
  DEFAULT_PUSH_SERVICE_ORIGINS,
  parsePushServiceOrigin,
  type PushServiceOrigin,
} from '../../src/push/service-origins.ts';

const origins = (list: string) => list.split(',').map((e) => parsePushServiceOrigin(e) as PushServiceOrigin);
const allowed = (endpoint: string, list = DEFAULT_PUSH_SERVICE_ORIGINS) =>
  typeof checkPushEndpoint(endpoint, origins(list)) !== 'string';

describe('push service allow-list', () => {
  it('lets through the big push services by default, subdomains where the entry is a wildcard', () => {
    expect(allowed('https://fcm.googleapis.com/fcm/send/abc')).toBe(true);
    expect(allowed('https://updates.push.services.mozilla.com/wpush/v2/abc')).toBe(true);
    expect(allowed('https://web.push.apple.com/QGx')).toBe(true);
    expect(allowed('https://wns2-by3p.notify.windows.com/w/?token=x')).toBe(true);
  });

  it('refuses look-alikes, other ports, plain http and the wildcard’s own bare domain', () => {
    expect(allowed('https://fcm.googleapis.com.evil.example/x')).toBe(false);
    expect(allowed('https://evilpush.apple.com/x')).toBe(false);
    expect(allowed('https://push.apple.com/x')).toBe(false);
    expect(allowed('https://fcm.googleapis.com:8443/x')).toBe(false);
    expect(allowed('http://fcm.googleapis.com/x')).toBe(false);
    expect(allowed('https://sub.fcm.googleapis.com/x')).toBe(false);
  });

  it('takes private addresses only when listed exactly, however they are written', () => {
    const list = 'https://*.push.example.com,http://127.0.0.1:8080';
    expect(allowed('http://127.0.0.1:8080/push/1', list)).toBe(true);
    for (const endpoint of [
      'https://127.0.0.1:8080/push/1',
      'https://0x7f.1/x',
      'https://[::ffff:127.0.0.1]/x',
      'https://[::ffff:a00:1]/x',
      'https://[fe80::1]/x',
      'https://100.64.0.1/x',
      'https://0.0.0.0/x',
    ])
      expect(checkPushEndpoint(endpoint, origins(list)), endpoint).toMatch(/private|allowed push service/);
  });

  it('refuses a setting that is not a list of origins, naming each bad entry', () => {
    expect(() =>
      loadConfig({
        DATA_DIR: '/nonexistent',
        SECRET_KEY: 'x'.repeat(32),
        DATABASE_URL: 'postgres://h/d',
        PUSH_SERVICE_ORIGINS: 'https://a.example/path,ftp://b.example,http://*.c.example',
      }),
    ).toThrow(
      /PUSH_SERVICE_ORIGINS: "https:\/\/a.example\/path" must be an origin alone.*"ftp:\/\/b.example" must be https.*"http:\/\/\*.c.example": wildcards are for https only/,
    );
    expect(() =>
      loadConfig({ SECRET_KEY: 'x'.repeat(32), DATABASE_URL: 'postgres://h/d', VAPID_PUBLIC_KEY: 'abc' }),
    ).toThrow(/VAPID_PUBLIC_KEY: must be 65 bytes/);
  });
});
