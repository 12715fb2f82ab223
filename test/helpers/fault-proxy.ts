// A TCP proxy in front of a real service, for faults that need exact timing: cut every connection, refuse
// new ones, or hold what the service sends on a connection and hand it over later in a single write.
import { once } from 'node:events';
import net from 'node:net';

export type FaultProxy = {
  /** host:port to connect to instead of the service's. */
  address: string;
  /** Destroys every open connection; with `refusing`, new ones are closed as soon as they open. */
  cut(): void;
  refusing: boolean;
  /**
   * From the first client write containing `marker` on, the service's bytes on that connection are held.
   * Resolves with a handle once that write went through.
   */
  holdAfter(marker: string): Promise<HeldReplies>;
  close(): Promise<void>;
};

export type HeldReplies = {
  /** Everything held so far. */
  bytes(): Buffer;
  /** Sends what was held in one write, and lets the connection flow again. */
  release(): void;
};

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const open = new Set<net.Socket>();
  let hold: { marker: string; found: (held: HeldReplies) => void } | undefined;

  const server = net.createServer((client) => {
    if (proxy.refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    open.add(client).add(upstream);
    let held: Buffer[] | undefined;
    client.on('data', (chunk) => {
      upstream.write(chunk);
      if (hold && chunk.includes(hold.marker)) {
        const { found } = hold;
        hold = undefined;
        held = [];
        found({
          bytes: () => Buffer.concat(held ?? []),
          release() {
            const all = Buffer.concat(held ?? []);
            held = undefined;
            if (all.length > 0) client.write(all);
          },
        });
      }
    });
    upstream.on('data', (chunk) => {
      if (held) held.push(chunk);
      else client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');

  const proxy: FaultProxy = {
    address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    refusing: false,
    cut() {
      for (const socket of open) socket.destroy();
      open.clear();
    },
    holdAfter(marker) {
      return new Promise((found) => (hold = { marker, found }));
    },
    async close() {
      proxy.cut();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return proxy;
}
