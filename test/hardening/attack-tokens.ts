// Forged and broken bearer tokens, for the authentication tests and the fuzz tests' auth attacks.
import { randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import fc from 'fast-check';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '../../src/domain/tokens.ts';
import { TEST_SECRET } from '../helpers/server.ts';

type Victim = { username: string; email: string };

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs like the server does, with any claim or option overridden. */
export function signToken(
  claims: Record<string, unknown>,
  options: jwt.SignOptions = {},
  secret: string = TEST_SECRET,
): string {
  return jwt.sign(claims, secret, {
    algorithm: 'HS256',
    audience: TOKEN_AUDIENCE,
    issuer: TOKEN_ISSUER,
    ...('exp' in claims ? {} : { expiresIn: 600 }),
    ...options,
  });
}

/**
 * Every way we know to forge or break a token for `victim`, each of which the server must refuse with a 401.
 * `others` are valid signatures for accounts that may not authenticate (unknown, inactive, deleted).
 */
export function forgedTokens(victim: Victim, others: Record<string, string> = {}): Record<string, string> {
  const now = Math.floor(Date.now() / 1000);
  const good = signToken({ username: victim.username }, { subject: victim.email });
  const [header, payload, signature] = good.split('.') as [string, string, string];
  const claims = {
    username: victim.username,
    sub: victim.email,
    aud: TOKEN_AUDIENCE,
    iss: TOKEN_ISSUER,
    iat: now,
    exp: now + 600,
  };
  return {
    'alg none': jwt.sign(claims, '', { algorithm: 'none' }),
    'alg none, keeping the real signature': `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.${signature}`,
    'alg "None"': `${b64({ alg: 'None', typ: 'JWT' })}.${payload}.`,
    'a wrong secret': signToken(
      { username: victim.username },
      { subject: victim.email },
      randomBytes(32).toString('hex'),
    ),
    'an empty-looking secret': signToken({ username: victim.username }, { subject: victim.email }, ' '),
    'HS512 with the right secret': signToken(
      { username: victim.username },
      { subject: victim.email, algorithm: 'HS512' },
    ),
    'HS384 with the right secret': signToken(
      { username: victim.username },
      { subject: victim.email, algorithm: 'HS384' },
    ),
    'an RS256 header pointing at a foreign key': `${b64({ alg: 'RS256', jku: 'http://127.0.0.1:1/jwks.json', kid: '../../../dev/null' })}.${payload}.${signature}`,
    'an expired token': signToken({ username: victim.username, exp: now - 30 }, { subject: victim.email }),
    'a token valid only in the future (nbf)': signToken(
      { username: victim.username },
      { subject: victim.email, notBefore: 3600 },
    ),
    'a wrong audience': signToken(
      { username: victim.username },
      { subject: victim.email, audience: 'othersite:auth' },
    ),
    'a wrong issuer': signToken({ username: victim.username }, { subject: victim.email, issuer: 'evil.io' }),
    'no audience': jwt.sign(
      { username: victim.username, sub: victim.email, iss: TOKEN_ISSUER, exp: now + 600 },
      TEST_SECRET,
    ),
    'no expiry': jwt.sign(
      { username: victim.username, sub: victim.email, aud: TOKEN_AUDIENCE, iss: TOKEN_ISSUER },
      TEST_SECRET,
    ),
    'no subject': signToken({ username: victim.username }),
    'no username': signToken({}, { subject: victim.email }),
    'a numeric username': signToken({ username: 12345 }, { subject: victim.email }),
    'an object username': signToken({ username: { $ne: null } }, { subject: victim.email }),
    'an array username': signToken({ username: [victim.username] }, { subject: victim.email }),
    'an unknown username': signToken({ username: 'nobody_by_this_name' }, { subject: 'nobody@example.io' }),
    'a tampered payload with the old signature': `${header}.${b64({ ...claims, username: 'someone_else' })}.${signature}`,
    'a tampered header with the old signature': `${b64({ alg: 'HS256', typ: 'JWT', kid: 'x' })}.${payload}.${signature}`,
    'a truncated signature': good.slice(0, -3),
    'no signature': `${header}.${payload}.`,
    'only two parts': `${header}.${payload}`,
    'four parts': `${good}.${signature}`,
    'a JWE-shaped token': `${b64({ alg: 'dir', enc: 'A256GCM' })}..${payload}.${payload}.${signature}`,
    'three dots': '...',
    garbage: 'not-a-jwt',
    'base64 of JSON without a signature': b64(claims),
    ...others,
  };
}

/** Header values that node may send: latin-1 without control characters. */
function headerSafe(s: string): string {
  return [...s].map((c) => (/^[\t\x20-\x7e\x80-\xff]$/.test(c) ? c : '?')).join('');
}

/**
 * Authorization headers that must all be refused: forged tokens, wrong schemes, random or huge tokens,
 * single-character edits of a good token, duplicated headers. Each value is the list of header lines to send.
 */
export function badAuthorization(goodToken: string, forged: Record<string, string>): fc.Arbitrary<string[]> {
  const forgedValues = Object.values(forged);
  const forgedHeader = fc.constantFrom(...forgedValues).map((t) => `Bearer ${t}`);
  const scheme = fc.constantFrom(
    `Basic ${Buffer.from('admin:admin').toString('base64')}`,
    `Token ${goodToken}`,
    `JWT ${goodToken}`,
    `Bearer: ${goodToken}`,
    `Bearer=${goodToken}`,
    `Bearer,${goodToken}`,
    goodToken,
    `${goodToken} Bearer`,
    'Bearer',
    'Bearer ',
    'bearer\t',
    `Bearer ${goodToken} extra`,
    `Bearer ${goodToken}\xa0`,
    `Bearer "${goodToken}"`,
    `Bearer ${goodToken},${goodToken}`,
  );
  const edited = fc
    .tuple(fc.nat({ max: goodToken.length - 1 }), fc.constantFrom(...'ABCxyz019-_.=+/'))
    .filter(([i, c]) => goodToken[i] !== c)
    .map(([i, c]) => `Bearer ${goodToken.slice(0, i)}${c}${goodToken.slice(i + 1)}`);
  const random = fc.oneof(
    fc.string({ maxLength: 80 }).map((s) => `Bearer ${headerSafe(s)}`),
    fc.string({ unit: 'binary', maxLength: 80 }).map((s) => `Bearer ${headerSafe(s)}`),
    fc
      .array(fc.base64String({ maxLength: 60 }), { minLength: 3, maxLength: 3 })
      .map((parts) => `Bearer ${parts.map((p) => p.replace(/=+$/, '')).join('.')}`),
    fc.integer({ min: 4_000, max: 12_000 }).map((n) => `Bearer ${'a'.repeat(n)}`),
  );
  const single = fc.oneof(
    { weight: 4, arbitrary: forgedHeader },
    { weight: 2, arbitrary: scheme },
    { weight: 2, arbitrary: edited },
    { weight: 2, arbitrary: random },
  );
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant<string[]>([]) },
    { weight: 8, arbitrary: single.map((h) => [h]) },
    // Node keeps the first of repeated Authorization headers; both are bad here.
    { weight: 1, arbitrary: fc.tuple(single, single).map(([a, b]) => [a, b]) },
  );
}
