// fast-check arbitraries of hostile input, shared by the REST and socket fuzz tests. Whether a generated input
// is really malformed is decided by the contract's own zod schema (the oracle) in the tests, not here.
import fc from 'fast-check';

/** Text that goes into a JSON document as is: deep nesting and number literals JSON.stringify cannot write. */
export class RawJson {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** An object whose keys may repeat, written in order (JSON.parse keeps the last). */
export class DuplicateKeys {
  readonly entries: readonly (readonly [string, unknown])[];
  constructor(entries: readonly (readonly [string, unknown])[]) {
    this.entries = entries;
  }
}

/** Writes a value as JSON text, with RawJson spliced in and DuplicateKeys written with their repeats. */
export function toJsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (value instanceof DuplicateKeys) {
    return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`).join(',')}}`;
  }
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : toJsonText(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const parts = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`);
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Strings that have broken servers before: NUL, lone surrogates, BOM, bidi marks, injections, lookalikes. */
export const NASTY_STRINGS = [
  '',
  ' ',
  '\t\n',
  '\u0000',
  'a\u0000b',
  '\uFEFF',
  '\u202E',
  '\u200B',
  '\uD800',
  'x\uDFFFy',
  '𝕏𝕐ℤ',
  '👩‍👩‍👧‍👦',
  'ﬀİßK',
  "'; drop table users; --",
  '" or 1=1 --',
  '${7*7}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '%00',
  '%',
  '\\',
  '"',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-1',
  '0',
  '1e400',
  'true',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  'toString',
] as const;

/** Numbers at the edges: zero and negative zero, the int4 and safe-integer limits, the smallest and largest doubles. */
export const EDGE_NUMBERS = [
  0,
  -0,
  -1,
  1.5,
  -1.5,
  0.1,
  1e-7,
  5e-324,
  1e21,
  1e308,
  -1e308,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  2 ** 53 - 1,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 53),
  99999.99,
  99999.995,
  100000,
  Number.EPSILON,
] as const;

/** Number literals that are JSON but not a JS number's text: they parse to Infinity, 0 or a rounded value. */
export const NUMBER_LITERALS = [
  '1e400',
  '-1e400',
  '1e-400',
  '-0.0e0',
  '123456789012345678901234567890',
] as const;

export const hugeString = fc
  .tuple(fc.constantFrom('x', 'é', '😀', '\u0000', '"', '\\'), fc.integer({ min: 2_000, max: 12_000 }))
  .map(([c, n]) => c.repeat(n));

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: hugeString },
);

export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...EDGE_NUMBERS) },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.integer() },
);

export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', '', ' ', '\u0000', 'a.b', '$where'),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

/** Deeply nested arrays or objects, up to a depth no parser should recurse through. */
export const deepNesting: fc.Arbitrary<RawJson> = fc
  .tuple(fc.integer({ min: 50, max: 7_000 }), fc.boolean())
  .map(([depth, arrays]) =>
    arrays
      ? new RawJson('['.repeat(depth) + ']'.repeat(depth))
      : new RawJson('{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
  );

/** Any value of the wrong kind: scalars at the edges, nasty strings, containers, deep nesting. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  hostileNumber,
  hostileString,
  fc.constantFrom(...NUMBER_LITERALS).map((t) => new RawJson(t)),
  fc.constant([]),
  fc.constant({}),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
  fc.dictionary(hostileKey, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  deepNesting,
);

type Path = readonly (string | number)[];

function pathsOf(value: unknown, at: Path = []): Path[] {
  const here: Path[] = [at];
  if (Array.isArray(value)) value.forEach((v, i) => here.push(...pathsOf(v, [...at, i])));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) here.push(...pathsOf(v, [...at, k]));
  }
  return here;
}

function updateAt(value: unknown, path: Path, f: (old: unknown) => unknown): unknown {
  if (path.length === 0) return f(value);
  const [head, ...rest] = path;
  if (Array.isArray(value)) return value.map((v, i) => (i === head ? updateAt(v, rest, f) : v));
  const obj = value as Record<string, unknown>;
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, k === head ? updateAt(v, rest, f) : v]));
}

const DROP = Symbol('drop');

function removeDropped(value: unknown): unknown {
  if (value instanceof RawJson || value instanceof DuplicateKeys) return value;
  if (Array.isArray(value)) return value.filter((v) => v !== DROP).map(removeDropped);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== DROP)
        .map(([k, v]) => [k, removeDropped(v)]),
    );
  }
  return value;
}

/** One way of breaking a document at one place. */
type Mutation =
  | { kind: 'replace'; value: unknown }
  | { kind: 'drop' }
  | { kind: 'rename'; to: string }
  | { kind: 'wrap-in-array' }
  | { kind: 'duplicate-key'; value: unknown }
  | { kind: 'extra-keys'; extra: Record<string, unknown> };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: hostileValue.map((value) => ({ kind: 'replace' as const, value })) },
  { weight: 2, arbitrary: fc.constant({ kind: 'drop' as const }) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(hostileKey, fc.constantFrom('NAME', 'Name ', 'name\u0000', 'ｎａｍｅ'))
      .map((to) => ({ kind: 'rename' as const, to })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'wrap-in-array' as const }) },
  { weight: 2, arbitrary: hostileValue.map((value) => ({ kind: 'duplicate-key' as const, value })) },
  {
    weight: 1,
    arbitrary: fc
      .dictionary(hostileKey, hostileValue, { minKeys: 1, maxKeys: 3 })
      .map((extra) => ({ kind: 'extra-keys' as const, extra })),
  },
);

function apply(doc: unknown, path: Path, m: Mutation): unknown {
  const parentPath = path.slice(0, -1);
  const key = path.at(-1);
  switch (m.kind) {
    case 'replace':
      return updateAt(doc, path, () => m.value);
    case 'drop':
      return path.length === 0 ? new RawJson('') : removeDropped(updateAt(doc, path, () => DROP));
    case 'wrap-in-array':
      return updateAt(doc, path, (old) => [old]);
    case 'extra-keys':
      return updateAt(doc, path, (old) =>
        old !== null && typeof old === 'object' && !Array.isArray(old) ? { ...old, ...m.extra } : m.extra,
      );
    case 'rename':
    case 'duplicate-key': {
      if (typeof key !== 'string') return updateAt(doc, path, () => (m.kind === 'rename' ? m.to : m.value));
      return updateAt(doc, parentPath, (parent) => {
        const entries = Object.entries(parent as Record<string, unknown>);
        if (m.kind === 'rename')
          return Object.fromEntries(entries.map(([k, v]) => [k === key ? m.to : k, v]));
        // The valid value first, the hostile one last: JSON.parse keeps the last.
        return new DuplicateKeys([...entries, [key, m.value]]);
      });
    }
  }
}

/** `valid`, broken in one to three places (the oracle decides whether the result is still valid). */
export function mutatedDocument(valid: unknown): fc.Arbitrary<unknown> {
  const paths = pathsOf(valid);
  const step = fc.tuple(fc.nat({ max: paths.length - 1 }), mutation);
  return fc.array(step, { minLength: 1, maxLength: 3 }).map((steps) => {
    let doc = valid;
    for (const [i, m] of steps) {
      if (doc instanceof RawJson || doc instanceof DuplicateKeys) break;
      const available = pathsOf(doc);
      doc = apply(doc, available[i % available.length]!, m);
    }
    return doc;
  });
}

/** Texts that are not JSON at all, or are JSON only to a lenient parser. */
export const notJsonText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '{',
    '}',
    '{"a":',
    "{'a': 1}",
    '{a:1}',
    '[1,]',
    '{"a":1,}',
    'NaN',
    'Infinity',
    '-Infinity',
    'undefined',
    '// comment\n{}',
    '/* c */ {}',
    '<?xml version="1.0"?><a/>',
    'a=1&b=2',
    '{"a":"\\x41"}',
    '{"a":"\\uZZZZ"}',
    '"unterminated',
    '\u0000',
    '{"a":1}{"b":2}',
    '01',
    '.5',
    '+1',
    '0x10',
    'tru',
    'nul',
  ),
  fc.string({ minLength: 1, maxLength: 60 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }),
);

/** Percent-escapes any text for a URL, lone surrogates included (as U+FFFD, like a browser). */
export function escapeText(s: string): string {
  return encodeURIComponent(s.toWellFormed());
}

/** A valid-looking path id that cannot name a row, or something that is not an id at all. */
export const ID_ATTACKS = [
  '-1',
  '0',
  '00',
  '-0',
  '1e400',
  '1e3',
  'NaN',
  'Infinity',
  '-Infinity',
  'null',
  'undefined',
  'true',
  '..',
  '.',
  '%2e%2e',
  '%2e%2e%2f',
  '..%2F',
  '%2F',
  '%00',
  '%',
  '%zz',
  '%ff',
  '%c0%ae',
  '%E2%80%AE1',
  '0x10',
  '0b1',
  '1.0',
  '1.5',
  '%201',
  '1%20',
  '+',
  '++1',
  '2147483648',
  '4294967296',
  '9007199254740993',
  '99999999999999999999999999999999',
  '%D9%A1',
  '%EF%BC%91',
  '1_000',
  '1,2',
  '%5B1%5D',
  '%7B%7D',
  "1'",
  '1%3Bdrop%20table%20cleanings',
  '1%20or%201%3D1',
  '%3Cscript%3E',
] as const;

/** Path segments for an id parameter: fixed attacks, out-of-range numbers, and arbitrary escaped text. */
export const idSegment: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...ID_ATTACKS) },
  { weight: 2, arbitrary: fc.bigInt({ min: 2n ** 31n, max: 10n ** 40n }).map(String) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 30n), max: 0n }).map(String) },
  { weight: 1, arbitrary: fc.double({ noNaN: true }).map((d) => escapeText(String(d))) },
  { weight: 2, arbitrary: hostileString.map(escapeText) },
);

/** Path segments for a username parameter. */
export const usernameSegment: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '..',
      '.',
      '%2e%2e',
      '%2F',
      '%00',
      '%',
      '%zz',
      'ab',
      'a',
      '%20abc',
      'abc%20',
      'a.b.c',
      'abc%27%20or%201%3D1',
      '%3Cscript%3E',
      'me%2F..',
      'ab%00cd',
      '%C3%A9t%C3%A9',
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 65, max: 4_000 }).map((n) => 'a'.repeat(n)) },
  { weight: 3, arbitrary: hostileString.map(escapeText) },
);

/** The value of a query parameter (the tests escape it). */
export const queryValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('-1', '1.5', '1e3', 'NaN', ' 1', '', '0x1', '9'.repeat(20), '2147483648', '9999999999'),
  hostileString,
);
