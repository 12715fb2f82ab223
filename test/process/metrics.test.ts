import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, makeCleaning, makeUser } from '../helpers/api.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { command, connect, Recorder, type ClientSocket } from '../helpers/sockets.ts';

/** The value of one sample of the exposition text, or 0 when the series does not exist (yet). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const got = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(match[3]);
  }
  return 0;
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

describe('metrics are off by default', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('opens no metrics listener and answers 404 for /metrics on the API port', async () => {
    expect(server.app.metricsUrl()).toBeUndefined();
    const res = await new Api(server.url).get('/metrics');
    expect([res.status, res.body]).toEqual([404, { detail: 'Not Found', code: 'ROUTE_NOT_FOUND' }]);
  });
});

describe('metrics on METRICS_PORT', () => {
  let server: TestServer;
  let metricsUrl: string;
  const sockets: ClientSocket[] = [];
  beforeAll(async () => {
    server = await startServer({ env: { METRICS_PORT: '0', LOGIN_RATE_LIMIT: '2' } });
    metricsUrl = server.app.metricsUrl()!;
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await server.close();
  });

  it('listen on loopback, on a port of their own, and answer nothing but GET /metrics', async () => {
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(metricsUrl).not.toBe(server.url);
    expect((await fetch(`${metricsUrl}/`)).status).toBe(404);
    expect((await fetch(`${metricsUrl}/metrics`, { method: 'POST' })).status).toBe(404);
    expect((await new Api(server.url).get('/metrics')).status).toBe(404);
  });

  it('include Node’s default metrics and the database pool', async () => {
    const text = await scrape(metricsUrl);
    expect(text).toMatch(/^phresh_process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^phresh_nodejs_eventloop_lag_seconds \d/m);
    if (server.db.url) expect(sample(text, 'phresh_db_pool_connections', { state: 'max' })).toBe(10);
  });

  it('count HTTP requests by route pattern and status, never by raw path', async () => {
    const owner = await makeUser(server.url);
    const before = await scrape(metricsUrl);
    const route = { method: 'GET', route: '/api/cleanings/{cleaning_id}/', status: '404' };
    await owner.api.get('/api/cleanings/987654/');
    await owner.api.get('/api/cleanings/987655/');
    const after = await scrape(metricsUrl);
    const count = 'phresh_http_request_duration_seconds_count';
    expect(sample(after, count, route) - sample(before, count, route)).toBe(2);
    expect(after).not.toContain('987654');
  });

  it('move a command’s counters by name and outcome, with its duration, and time the relay', async () => {
    const owner = await makeUser(server.url);
    const cleaner = await makeUser(server.url);
    const cleaning = await makeCleaning(owner);
    const socket = await connect(server.url, cleaner.token);
    sockets.push(socket);
    const pushes = new Recorder(socket, 'offer:event');
    const before = await scrape(metricsUrl);

    expect((await command(socket, 'offer:create', { cleaning_id: cleaning.id })).ok).toBe(true);
    const duplicate = await command(socket, 'offer:create', { cleaning_id: cleaning.id });
    expect(duplicate.ok ? 'ok' : duplicate.error.code).toBe('DUPLICATE_OFFER');
    await pushes.waitFor(1);
    const after = await scrape(metricsUrl);

    const moved = (name: string, labels: Record<string, string> = {}) =>
      sample(after, name, labels) - sample(before, name, labels);
    const ok = { command: 'offer:create', outcome: 'ok' };
    const refused = { command: 'offer:create', outcome: 'DUPLICATE_OFFER' };
    expect(moved('phresh_socket_commands_total', ok)).toBe(1);
    expect(moved('phresh_socket_commands_total', refused)).toBe(1);
    expect(moved('phresh_socket_command_duration_seconds_count', ok)).toBe(1);
    expect(moved('phresh_socket_command_duration_seconds_sum', ok)).toBeGreaterThan(0);
    expect(moved('phresh_relay_lag_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'phresh_open_sockets')).toBe(1);
  });

  it('record replay sizes', async () => {
    const owner = await makeUser(server.url);
    const cleaners = [await makeUser(server.url), await makeUser(server.url)];
    const cleaning = await makeCleaning(owner);
    for (const c of cleaners)
      expect((await c.api.post(`/api/cleanings/${cleaning.id}/offers/`)).status).toBe(201);
    const socket = await connect(server.url, owner.token);
    sockets.push(socket);
    const before = await scrape(metricsUrl);
    const replay = await command(socket, 'cleaning:subscribe', { cleaning_id: cleaning.id, since: 0 });
    expect(replay.ok && 'events' in replay.data ? replay.data.events.length : -1).toBe(2);
    const after = await scrape(metricsUrl);
    const source = { source: 'cleaning:subscribe' };
    expect(
      sample(after, 'phresh_replay_events_count', source) -
        sample(before, 'phresh_replay_events_count', source),
    ).toBe(1);
    expect(
      sample(after, 'phresh_replay_events_sum', source) - sample(before, 'phresh_replay_events_sum', source),
    ).toBe(2);
  });

  it('count logins refused by the rate limit', async () => {
    const user = await makeUser(server.url);
    const api = new Api(server.url);
    const before = sample(await scrape(metricsUrl), 'phresh_login_refusals_total');
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push(
        (
          await api.post('/api/users/login/token/', {
            form: { username: user.email, password: 'wrong-password' },
          })
        ).status,
      );
    }
    expect(statuses).toEqual([401, 401, 429]);
    expect(sample(await scrape(metricsUrl), 'phresh_login_refusals_total') - before).toBe(1);
  });
});
