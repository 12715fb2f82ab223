import { createSecretKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { domainError } from './errors.ts';

export const TOKEN_ISSUER = 'phresh.io';
export const TOKEN_AUDIENCE = 'phresh:auth';

/** Claims we rely on after verification. */
export type TokenClaims = { username: string; email: string; expiresAt: number };

export type TokenService = {
  issue(user: { email: string; username: string }): string;
  /** Verifies signature, algorithm, audience, issuer and expiry; throws INVALID_TOKEN otherwise. */
  verify(token: string): TokenClaims;
};

export function createTokenService(secretText: string, expireMinutes: number): TokenService {
  // Made once: given the text, jsonwebtoken first tries it as a PEM public key (a throw caught on every
  // call) and then builds a new key from it, on every signature and every verification.
  const secret = createSecretKey(Buffer.from(secretText));
  return {
    issue(user) {
      return jwt.sign({ username: user.username }, secret, {
        algorithm: 'HS256',
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        subject: user.email,
        expiresIn: Math.round(expireMinutes * 60),
      });
    },
    verify(token) {
      let payload: string | jwt.JwtPayload;
      try {
        payload = jwt.verify(token, secret, {
          algorithms: ['HS256'],
          audience: TOKEN_AUDIENCE,
          issuer: TOKEN_ISSUER,
        });
      } catch (cause) {
        throw domainError('INVALID_TOKEN', { cause });
      }
      if (
        typeof payload !== 'object' ||
        typeof payload.username !== 'string' ||
        typeof payload.sub !== 'string' ||
        typeof payload.exp !== 'number'
      ) {
        throw domainError('INVALID_TOKEN');
      }
      return { username: payload.username, email: payload.sub, expiresAt: payload.exp * 1000 };
    },
  };
}
