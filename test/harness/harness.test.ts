// A short run of the load harness (`npm run harness`) against a real server: it must load it without errors,
// and its correctness check (every client's folded events against the server's state and log) must pass.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHarness } from '../../bench/harness/harness.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

describe('load harness', () => {
  it('runs a mix of commands from simulated owners and cleaners and finds every client view consistent', async () => {
    const result = await runHarness({
      url: server.url,
      owners: 3,
      cleaners: 12,
      duration: 3,
      thinkMs: 50,
      jobsPerOwner: 2,
      seed: 7,
    });
    expect(result.violations).toEqual([]);
    expect(result.errors).toBe(0);
    expect(result.correct).toBe(true);
    expect(result.ops).toBeGreaterThan(0);
    expect(result.pushes).toBeGreaterThan(0);
    const commands = result.commands.map((c) => c.command);
    expect(commands).toEqual(expect.arrayContaining(['offer:create', 'offer:accept', 'cleaning:subscribe']));
    expect(result.checked.clientViews).toBeGreaterThan(0);
    expect(result.checked.events).toBeGreaterThan(0);
  });
});
