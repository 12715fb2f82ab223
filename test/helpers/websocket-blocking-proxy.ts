// An HTTP proxy that forwards plain requests and refuses every WebSocket upgrade, as some corporate proxies and
// networks do: what a client must get through by falling back to HTTP long-polling.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type WebSocketBlockingProxy = {
  /** The base URL to use instead of the server's. */
  url: string;
  /** Upgrade requests refused so far, and plain requests forwarded so far. */
  stats: { refusedUpgrades: number; forwarded: number };
  close(): Promise<void>;
};

export async function startWebSocketBlockingProxy(target: string): Promise<WebSocketBlockingProxy> {
  const to = new URL(target);
  const stats = { refusedUpgrades: 0, forwarded: 0 };
  const server = http.createServer((req, res) => {
    stats.forwarded++;
    const upstream = http.request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  server.on('upgrade', (_req, socket) => {
    stats.refusedUpgrades++;
    socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
