import type { ErrorRequestHandler, Response } from 'express';
import type { ErrorBody } from '../contract/schemas.ts';
import type { Logger } from '../logger.ts';
import { DomainError } from '../domain/errors.ts';
import { reportError } from '../error-report.ts';

/**
 * Writes a JSON answer: what Express's `res.status(status).json(body)` writes (with no ETag and no JSON
 * settings), without its content-type parsing and its `send` checks, which every answer would pay for.
 */
export function sendJson(res: Response, status: number, body: unknown): void {
  const text = JSON.stringify(body) ?? 'null';
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/** Writes a domain error as `status` + `{detail, code}`; 401s carry `WWW-Authenticate: Bearer`, as in OAuth2. */
export function sendError(res: Response, error: DomainError): void {
  if (res.headersSent) return;
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  if (error.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
  sendJson(res, error.status, restErrorBody(error));
}

/** The JSON body REST answers for `error` (also the source of the OpenAPI document's error examples). */
export function restErrorBody(error: DomainError): ErrorBody {
  return { detail: error.detail, code: error.code };
}

type BodyParserError = Error & { type?: string; status?: number; expose?: boolean };

function fromBodyParser(err: BodyParserError): DomainError | undefined {
  switch (err?.type) {
    case 'entity.parse.failed':
    case 'encoding.unsupported':
    case 'charset.unsupported':
    case 'request.aborted':
    case 'request.size.invalid':
    case 'parameters.too.many':
      return new DomainError('MALFORMED_BODY', { cause: err });
    case 'entity.too.large':
      return new DomainError('PAYLOAD_TOO_LARGE', { cause: err });
  }
  if (err instanceof URIError) return new DomainError('ROUTE_NOT_FOUND', { cause: err });
  // Any other refusal built with http-errors (a body that fails to decompress, a bad static path) is the
  // client's fault: a 4xx, never a 500.
  const status = err?.status;
  if (err?.expose === true && typeof status === 'number' && status >= 400 && status < 500) {
    const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 404 ? 'ROUTE_NOT_FOUND' : 'BAD_REQUEST';
    return new DomainError(code, { cause: err });
  }
  return undefined;
}

/** The last middleware: every error becomes a clean answer; only unexpected ones are logged with a stack. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const error =
      fromBodyParser(err as BodyParserError) ??
      reportError(logger, err, { reqId: res.locals.requestId, method: req.method, path: req.path });
    sendError(res, error);
  };
}
