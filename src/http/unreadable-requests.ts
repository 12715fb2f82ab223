import { STATUS_CODES, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { catalogueErrorBody, ERROR_CODES, type ErrorCode } from '../contract/error-codes.ts';

function codeFor(err: NodeJS.ErrnoException): ErrorCode {
  if (err.code === 'HPE_HEADER_OVERFLOW') return 'HEADERS_TOO_LARGE';
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'REQUEST_TIMEOUT';
  return 'BAD_REQUEST';
}

/**
 * Answers what Node's HTTP parser refuses before Express sees it (headers over 16 kB, a broken request line,
 * an unknown method, a client too slow to send its request) with the same `{detail, code}` body as every other
 * error, instead of Node's bodiless default; then closes the connection, whose framing can no longer be trusted.
 *
 * A connection has one writer at a time. When a response is still being written on it, that response keeps
 * the connection: if it answers the request that cannot be read (a body cut short or too slow), the refusal goes
 * through it; if it answers an earlier request (pipelined), it is completed and the connection then closed.
 */
export function answerUnreadableRequests(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const code = codeFor(err);
    const status = ERROR_CODES[code].status;
    const body = JSON.stringify(catalogueErrorBody(code));
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (inFlight && !inFlight.writableEnded) {
      if (inFlight.req.complete) {
        // The unreadable bytes follow a request still being answered (pipelined): that answer goes out whole,
        // then the connection closes. A second answer after it would be read as the reply to a request the
        // client may not have meant to send.
        inFlight.once('close', () => (inFlight.writableFinished ? socket.end() : socket.destroy()));
      } else if (!inFlight.headersSent) {
        inFlight.shouldKeepAlive = false;
        inFlight.writeHead(status, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(body),
          'x-content-type-options': 'nosniff',
        });
        inFlight.end(body);
      } else {
        // As Node does: nothing can be written once this request's own answer has started.
        socket.destroy();
      }
      return;
    }
    refuse(socket, status, body);
  });
}

function refuse(socket: Duplex, status: number, body: string): void {
  if (!socket.writable) return void socket.destroy();
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Bad Request'}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'X-Content-Type-Options: nosniff\r\n' +
      'Connection: close\r\n\r\n' +
      body,
  );
}
