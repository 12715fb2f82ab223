import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { Logger } from '../logger.ts';
import { catalogueErrorBody } from '../contract/error-codes.ts';

/**
 * Makes the server's `request` listeners (engine.io's router and the REST app) unable to take the process
 * down: a listener that throws is logged, and its request is answered with a generic 500 if nothing was
 * written yet, or dropped if an answer had started. Call it once every listener is attached.
 */
export function guardRequestListeners(server: Server, logger: Logger): void {
  const listeners = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    for (const listener of listeners) {
      try {
        listener.call(server, req, res);
      } catch (err) {
        failRequest(req, res, err, logger);
      }
    }
  });
}

/** The end of a request whose handler failed unexpectedly: logged with its stack, never echoed back. */
export function failRequest(req: IncomingMessage, res: ServerResponse, err: unknown, logger: Logger): void {
  logger.error(
    { err, method: req.method, url: req.url?.split('?')[0] },
    'unexpected error in a request handler',
  );
  if (res.headersSent || res.writableEnded) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(catalogueErrorBody('INTERNAL'));
  res.writeHead(500, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}
