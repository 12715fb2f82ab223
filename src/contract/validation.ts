import type { z } from 'zod';
import type { ValidationIssue } from './schemas.ts';

/** The outcome of checking input against its schema, kept so that the domain can decide when a 422 wins. */
export type Checked<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

/** Converts zod's issues into FastAPI's `[{loc, msg, type}]`, with `loc` starting at `where` (body, path, query…). */
export function toValidationIssues(error: z.ZodError, where: (string | number)[]): ValidationIssue[] {
  return error.issues.map((issue) => ({
    loc: [...where, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
    msg: issue.message,
    type: issue.code,
  }));
}

/** Checks `data` against `schema` without throwing. */
export function check<S extends z.ZodType>(
  schema: S,
  data: unknown,
  where: (string | number)[],
): Checked<z.output<S>> {
  const result = schema.safeParse(data);
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, issues: toValidationIssues(result.error, where) };
}

/** Transforms the value of a successful check; passes failures through. */
export function mapChecked<T, U>(checked: Checked<T>, f: (value: T) => U): Checked<U> {
  return checked.ok ? { ok: true, value: f(checked.value) } : checked;
}
