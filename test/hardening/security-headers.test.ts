// The security headers are helmet's, recorded once at start-up and set from that list on every answer
// (logs-and-headers.test.ts checks them on every kind of answer). Recording must refuse any middleware whose
// effect is not a fixed list of headers, rather than silently drop what it did.
import type { RequestHandler } from 'express';
import helmet from 'helmet';
import { describe, expect, it } from 'vitest';
import { recordHeaders } from '../../src/http/http-app.ts';

describe('recorded security headers', () => {
  it("are helmet's headers, in helmet's order", () => {
    const { set, removed } = recordHeaders(helmet({ xFrameOptions: { action: 'deny' } }));
    expect(Object.fromEntries(set)).toMatchObject({
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
    });
    expect(set[0]![0]).toBe('Content-Security-Policy');
    expect(removed).toEqual(['X-Powered-By']);
  });

  it.each<[string, RequestHandler]>([
    [
      'reads the request',
      (req, _res, next) => {
        if (req.headers.host) next();
        else next();
      },
    ],
    ['uses another part of the response', (_req, res, next) => void (res.getHeader('x') ?? next())],
    ['passes the request on later', (_req, _res, next) => void setTimeout(next, 0)],
    ['never passes it on', () => undefined],
    ['fails', (_req, _res, next) => next(new Error('no'))],
  ])('refuse a middleware that %s', (_what, middleware) => {
    expect(() => recordHeaders(middleware)).toThrow();
  });
});
