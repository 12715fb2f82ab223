// What a correct refusal looks like, on either transport, and the signs of a leak.
import { ERROR_CODES } from '../../src/contract/error-codes.ts';
import { errorBodySchema } from '../../src/contract/schemas.ts';

/** Things an answer must never show: stack frames, source paths, SQL, driver or library internals. */
const LEAK_PATTERNS: readonly RegExp[] = [
  /\n\s+at\s/,
  /\bat\s+(async\s+)?[\w$.<>[\]]+\s+\(/,
  /node_modules|\/src\/|file:\/\//,
  /\.(ts|js|mjs|cjs):\d+/,
  /\b(select|insert\s+into|update|delete\s+from)\b[\s\S]{0,200}\b(from|values|set|where)\b/i,
  /SQLSTATE|syntax error at or near|violates|relation "|column "|duplicate key|out of range for type/i,
  /\b(TypeError|ReferenceError|RangeError|SyntaxError|DriverException|MikroORM|ZodError|Knex|pg-protocol)\b/,
];

/**
 * The leak patterns found in `answer` that the request itself did not contain (an answer may echo what the
 * client sent, e.g. a key name in a validation message; it may not add internals of its own).
 */
export function leaksIn(answer: string, request: string): string[] {
  return LEAK_PATTERNS.filter((p) => p.test(answer) && !p.test(request)).map(String);
}

/** Why `detail` is not a usable error detail (a non-empty text, or FastAPI's list of issues), if it is not. */
export function detailProblem(detail: unknown): string | undefined {
  const parsed = errorBodySchema.shape.detail.safeParse(detail);
  if (!parsed.success) return `detail is not a string or a list of {loc, msg, type}: ${show(detail)}`;
  if (typeof detail === 'string' ? detail.trim() === '' : (detail as unknown[]).length === 0) {
    return 'detail is empty';
  }
  return undefined;
}

/** Why `code` is not the catalogue's code for an answer of `status` (socket acks also have `UNKNOWN_COMMAND`), if it is not. */
export function codeProblem(
  code: unknown,
  status: number,
  extra: readonly string[] = [],
): string | undefined {
  if (typeof code === 'string' && extra.includes(code)) return undefined;
  if (typeof code !== 'string' || !Object.hasOwn(ERROR_CODES, code))
    return `code ${show(code)} is not in ERROR_CODES`;
  const expected = ERROR_CODES[code as keyof typeof ERROR_CODES].status;
  return expected === status ? undefined : `code ${code} is a ${expected}, answered with ${status}`;
}

/** Why a REST answer is not a clean 4xx refusal, if it is not. */
export function restRefusalProblem(
  answer: { status: number; text: string; json: unknown; headers: Record<string, unknown> },
  requestText: string,
  expectedStatuses?: readonly number[],
): string | undefined {
  if (answer.status < 400 || answer.status > 499)
    return `status ${answer.status}: ${answer.text.slice(0, 300)}`;
  if (expectedStatuses && !expectedStatuses.includes(answer.status)) {
    return `status ${answer.status}, expected one of ${expectedStatuses.join(', ')}: ${answer.text.slice(0, 300)}`;
  }
  if (!String(answer.headers['content-type'] ?? '').startsWith('application/json')) {
    return `content-type ${String(answer.headers['content-type'])}`;
  }
  if (typeof answer.json !== 'object' || answer.json === null)
    return `body is not a JSON object: ${answer.text}`;
  const body = answer.json as { detail?: unknown; code?: unknown };
  const problem = detailProblem(body.detail) ?? codeProblem(body.code, answer.status);
  if (problem) return problem;
  const leaks = leaksIn(answer.text, requestText);
  if (leaks.length > 0) return `leaks ${leaks.join(', ')}: ${answer.text.slice(0, 500)}`;
  if (answer.headers['x-content-type-options'] !== 'nosniff') return 'security headers missing';
  if (answer.headers['x-powered-by'] !== undefined) return 'x-powered-by is set';
  return undefined;
}

/** Why a socket ack is not a clean 4xx refusal, if it is not. */
export function ackRefusalProblem(ack: unknown, requestText: string): string | undefined {
  if (typeof ack !== 'object' || ack === null) return `ack is not an object: ${show(ack)}`;
  const { ok, error } = ack as {
    ok?: unknown;
    error?: { status?: unknown; code?: unknown; detail?: unknown };
  };
  if (ok !== false || !error) return `ack is not a refusal: ${show(ack)}`;
  if (typeof error.status !== 'number' || error.status < 400 || error.status > 499) {
    return `status ${String(error.status)}: ${show(ack)}`;
  }
  const problem = codeProblem(error.code, error.status, ['UNKNOWN_COMMAND']) ?? detailProblem(error.detail);
  if (problem) return problem;
  const leaks = leaksIn(JSON.stringify(ack), requestText);
  if (leaks.length > 0) return `leaks ${leaks.join(', ')}: ${show(ack)}`;
  return undefined;
}

/** A short, printable rendering of any value, for failure messages. */
export function show(value: unknown, max = 300): string {
  let text: string;
  try {
    text =
      typeof value === 'string'
        ? JSON.stringify(value)
        : (JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}
