// A server node for fault tests: `src/main.ts`'s app, with a fault hook injected through createApp's options.
// SIGUSR2 arms it (it logs "fault armed"); the next transaction to commit then kills the process with SIGKILL,
// after PostgreSQL has committed and before the node can answer, ack or push anything.
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';

let armed = false;
const app = await createApp(loadConfig(), {
  afterCommit() {
    if (armed) process.kill(process.pid, 'SIGKILL');
  },
});
process.on('SIGUSR2', () => {
  armed = true;
  app.logger.info('fault armed: the next commit kills this node');
});
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
const url = await app.listen();
app.logger.info({ url }, `Phresh Live on ${url} (a fault node)`);
