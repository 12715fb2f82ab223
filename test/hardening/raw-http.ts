// A raw HTTP client for hostile requests: the path is sent exactly as given (no URL normalisation, so `../`
// and bad percent-escapes reach the server), headers may repeat, and the body is any bytes.
import http from 'node:http';

/** One request, exactly as it goes on the wire. */
export type RawRequest = {
  /** What the input is, for failure messages. */
  label: string;
  method: string;
  /** Path and query, already escaped as the test wants them. */
  path: string;
  /** A header given as an array is sent once per value (duplicated headers). */
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
};

export type RawResponse = {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  json: unknown;
};

/** Sends requests over a small pool of keep-alive connections. */
export function rawClient(base: string, connections = 8) {
  const url = new URL(base);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  function send(req: RawRequest, timeoutMs = 15_000): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | string[]> = { ...req.headers };
      if (req.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) {
        headers['content-length'] = String(Buffer.byteLength(req.body));
      }
      const outgoing = http.request(
        { host: url.hostname, port: url.port, method: req.method, path: req.path, headers, agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
          });
        },
      );
      outgoing.setTimeout(timeoutMs, () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      outgoing.on('error', reject);
      // A server that answers early (413) may close before the whole body is written; that is its right.
      outgoing.end(req.body);
    });
  }
  return { send, close: () => agent.destroy() };
}

/** Runs `work` over `items` with at most `limit` in flight; resolves with the results in order. */
export async function inPool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>) {
  const results = new Array<R>(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  });
  await Promise.all(runners);
  return results;
}
