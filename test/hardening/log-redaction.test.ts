// The logger's redaction on its own: secret-named keys at the top of a logged object and one level down never
// reach a log line, whatever holds them (a plain object, an error logged as `err` or under another key).
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';

function logged(fields: Record<string, unknown>): string {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  createLogger('info', sink as never).info(fields, 'line');
  return lines.join('');
}

const SECRET_KEYS = ['password', 'token', 'access_token', 'authorization', 'secretKey'];

describe('log redaction', () => {
  it.each(SECRET_KEYS)('hides %s at the top level and one level down, and keeps what is beside it', (key) => {
    const error = Object.assign(new Error('failed'), { [key]: 'secret-in-error' });
    const line = logged({
      [key]: 'secret-at-top',
      body: { [key]: 'secret-in-object', kept: 'visible-1' },
      err: error,
      cause: Object.assign(new Error('cause'), { [key]: 'secret-in-cause' }),
      status: 'visible-2',
    });
    expect(line).not.toMatch(/secret-/);
    expect(line).toContain('visible-1');
    expect(line).toContain('visible-2');
    expect(line).toContain('failed');
    expect(JSON.parse(line).body[key]).toBe('[redacted]');
  });

  it('leaves a line without secrets as it was given', () => {
    const fields = { reqId: 'r-1', method: 'GET', path: '/api/users/me/', status: 200, ms: 1.5, userId: 7 };
    expect(JSON.parse(logged(fields))).toMatchObject(fields);
  });
});
