// The baseline for fan-out and memory: socket.io 4 alone, configured like the real server (websocket and
// polling, same ping and buffer settings), with no database, no authentication and no per-event logic.
// Clients join rooms named in their handshake; a trigger command broadcasts to one room or to many.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';

const httpServer = createServer();
const io = new Server(httpServer, {
  path: '/socket.io',
  maxHttpBufferSize: 16 * 1024,
  pingInterval: 20_000,
  pingTimeout: 20_000,
  connectTimeout: 10_000,
  serveClient: false,
});

type Ack = (response: { ok: true; data: null }) => void;

io.on('connection', (socket) => {
  const rooms = (socket.handshake.auth as { rooms?: unknown }).rooms;
  if (Array.isArray(rooms)) for (const room of rooms) if (typeof room === 'string') void socket.join(room);
  // One message to every socket of a room: what the issue names as the baseline.
  socket.on('bench:room-emit', (p: { room: string; message: unknown }, ack: Ack) => {
    io.to(p.room).emit('bench:message', p.message);
    ack({ ok: true, data: null });
  });
  // A distinct message to each of `count` rooms: what an accept with `count` offers has to do.
  socket.on('bench:each-emit', (p: { prefix: string; count: number; message: unknown }, ack: Ack) => {
    for (let i = 0; i < p.count; i++) io.to(`${p.prefix}${i}`).emit('bench:message', p.message);
    ack({ ok: true, data: null });
  });
});

httpServer.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '0.0.0.0', () => {
  const { port } = httpServer.address() as AddressInfo;
  console.log(JSON.stringify({ url: `http://localhost:${port}`, msg: 'bare socket.io listening' }));
});
process.on('SIGTERM', () => {
  void io.close();
  process.exit(0);
});
