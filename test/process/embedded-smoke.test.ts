// The server as a new user runs it: `node src/main.ts` with nothing configured but where to keep its data.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OfferEventPublic } from '../../src/contract/schemas.ts';
import { Api, makeCleaning, makeOffers, makeUser } from '../helpers/api.ts';
import { closeAll, connect, ok, Recorder } from '../helpers/sockets.ts';
import { runToFailure, startServerProcess, type ServerProcess } from '../helpers/process.ts';

let dataDir: string;
let server: ServerProcess;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'phresh-embedded-'));
  server = await startServerProcess({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir });
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('the server in embedded mode', () => {
  it('serves the API on PGlite with no database configured', async () => {
    expect(server.logs().some((l) => String(l.database).startsWith('pglite'))).toBe(true);
    const user = await makeUser(server.url);
    const me = await user.api.get('/api/users/me/');
    expect(me.status).toBe(200);
    expect(me.body.username).toBe(user.username);
  });

  it('pushes offer events live on PGlite too (its NOTIFY feeds the relay), and replays them', async () => {
    const [owner, cleaner] = [await makeUser(server.url), await makeUser(server.url)];
    const cleaning = await makeCleaning(owner);
    const socket = await connect(server.url, owner.token);
    const events = new Recorder<OfferEventPublic>(socket, 'offer:event');
    await ok(socket, 'cleaning:subscribe', { cleaning_id: cleaning.id });
    await makeOffers(cleaning, [cleaner]);
    await owner.api.put(`/api/cleanings/${cleaning.id}/offers/${cleaner.username}/`);
    expect((await events.waitFor(2)).map((e) => [e.seq, e.type])).toEqual([
      [1, 'created'],
      [2, 'accepted'],
    ]);
    // The relay has pushed both, so the cleaner's catch-up (the batched log read) answers them all.
    const cleanerSocket = await connect(server.url, cleaner.token);
    const sync = await ok(cleanerSocket, 'offers:sync', { cursors: { [cleaning.id]: 0, '999999': 0 } });
    expect(sync.events.map((e) => [e.seq, e.type])).toEqual([
      [1, 'created'],
      [2, 'accepted'],
    ]);
    await closeAll(socket, cleanerSocket);
  });

  it('completes a job with an evaluation on PGlite too: the rules, the aggregates and the derived status', async () => {
    const [owner, cleaner] = [await makeUser(server.url), await makeUser(server.url)];
    const cleaning = await makeCleaning(owner);
    await makeOffers(cleaning, [cleaner]);
    await owner.api.put(`/api/cleanings/${cleaning.id}/offers/${cleaner.username}/`);
    const path = `/api/users/${cleaner.username}/evaluations/`;
    const created = await owner.api.post(`${path}${cleaning.id}/`, {
      json: { evaluation_create: { overall_rating: 3, professionalism: 4 } },
    });
    expect(created.status).toBe(201);
    const again = await owner.api.post(`${path}${cleaning.id}/`, {
      json: { evaluation_create: { overall_rating: 1 } },
    });
    expect(again.status).toBe(400);
    const stats = await cleaner.api.get(`${path}stats/`);
    expect(stats.body).toMatchObject({
      total_evaluations: 1,
      avg_overall_rating: 3,
      avg_professionalism: 4,
      avg_efficiency: null,
      three_stars: 1,
    });
    const standing = await cleaner.api.get(`/api/cleanings/${cleaning.id}/`);
    expect(standing.body).toMatchObject({ status: 'completed', total_offers: 1 });
    expect((await owner.api.delete(`/api/cleanings/${cleaning.id}/`)).status).toBe(400);
  });

  it('generates its secret once and keeps it in the data directory, readable only by its owner', () => {
    const file = join(dataDir, 'secret-key');
    expect(readFileSync(file, 'utf8').trim().length).toBeGreaterThanOrEqual(32);
    expect(statSync(file).mode & 0o077).toBe(0);
  });

  it('serves the OpenAPI document and the interactive docs', async () => {
    const api = new Api(server.url);
    const doc = await api.get('/api/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toContain('/api/cleanings/{cleaning_id}/offers/{username}/');
    const docs = await fetch(`${server.url}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger-ui');
    expect((await fetch(`${server.url}/docs/assets/swagger-ui-bundle.js`)).status).toBe(200);
  });

  it('answers health and readiness', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { database: 'ok', push: 'ok' } });
  });

  it('stops cleanly on SIGTERM, and keeps its data for the next start', async () => {
    const user = await makeUser(server.url);
    expect(await server.stop()).toBe(0);
    server = await startServerProcess({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir });
    const login = await new Api(server.url).post('/api/users/login/token/', {
      form: { username: user.email, password: user.password },
    });
    expect(login.status).toBe(200);
    // The same secret: the old token still works.
    expect((await new Api(server.url, user.token).get('/api/users/me/')).status).toBe(200);
    expect(await server.stop()).toBe(0);
  });
});

describe('configuration', () => {
  it('refuses a bad value with a clear one-line error', async () => {
    const { code, output } = await runToFailure({
      PORT: 'seventy',
      DATA_DIR: join(tmpdir(), 'never-used'),
      ACCESS_TOKEN_EXPIRE_MINUTES: '-5',
    });
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toHaveLength(1);
    expect(output).toMatch(/^invalid configuration: PORT: .*ACCESS_TOKEN_EXPIRE_MINUTES: /);
  });

  it('refuses a TRUST_PROXY that is neither a hop count nor a list of addresses', async () => {
    for (const value of ['true', '10.0.0.0/33', 'loopback, proxy.example', '-1']) {
      const { code, output } = await runToFailure({
        TRUST_PROXY: value,
        DATA_DIR: join(tmpdir(), 'never-used'),
      });
      expect(code).toBe(1);
      expect(output.trim()).toMatch(/^invalid configuration: TRUST_PROXY: must be a hop count/);
    }
  });

  it('requires SECRET_KEY when running on PostgreSQL', async () => {
    const { code, output } = await runToFailure({ DATABASE_URL: 'postgres://127.0.0.1:1/none' });
    expect(code).toBe(1);
    expect(output.trim()).toBe('invalid configuration: SECRET_KEY: required when DATABASE_URL is set');
  });

  it('refuses DATABASE_LISTEN_URL without DATABASE_URL', async () => {
    const { code, output } = await runToFailure({
      DATA_DIR: join(tmpdir(), 'never-used'),
      DATABASE_LISTEN_URL: 'postgres://127.0.0.1:1/none',
    });
    expect(code).toBe(1);
    expect(output.trim()).toBe('invalid configuration: DATABASE_LISTEN_URL: needs DATABASE_URL beside it');
  });

  it('refuses Redis Cluster seed nodes that are not host:port, and a cluster beside REDIS_URL', async () => {
    const dataDir = join(tmpdir(), 'never-used');
    const bad = await runToFailure({ DATA_DIR: dataDir, REDIS_CLUSTER_NODES: '127.0.0.1:7000,redis-b' });
    expect(bad.code).toBe(1);
    expect(bad.output.trim()).toMatch(/^invalid configuration: REDIS_CLUSTER_NODES.*host:port$/);
    const both = await runToFailure({
      DATA_DIR: dataDir,
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_CLUSTER_NODES: '127.0.0.1:7000',
    });
    expect(both.code).toBe(1);
    expect(both.output.trim()).toBe(
      'invalid configuration: REDIS_CLUSTER_NODES: set either it or REDIS_URL, not both',
    );
  });
});
