// The load harness: registers simulated owners and cleaners over REST against any running server, connects
// them over socket.io, runs a realistic mix of commands for a while, then checks every client's view against
// the server's final state and its durable log.
import { randomBytes } from 'node:crypto';
import type {
  CleaningPublic,
  MyOffer,
  OfferEventPublic,
  OfferPublic,
  UserPublic,
} from '../../src/contract/schemas.ts';
import { SimulatedUser, type Account, type CommandRecord, type Violation } from './simulated-user.ts';
import { prng } from '../lib/prng.ts';
import { inPool } from '../lib/pool.ts';

export type HarnessOptions = {
  url: string;
  owners: number;
  cleaners: number;
  /** Seconds of load after everyone is connected. */
  duration: number;
  /** Mean pause of each simulated person between two actions, in ms (exponentially distributed). */
  thinkMs: number;
  /** Jobs each owner posts before the load starts. */
  jobsPerOwner: number;
  /** Registrations (and other setup calls) in flight at once. */
  setupConcurrency: number;
  /** Seed of the pseudo-random choices, so that a run can be repeated. */
  seed: number;
};

export const DEFAULT_OPTIONS: HarnessOptions = {
  url: 'http://localhost:3000',
  owners: 10,
  cleaners: 100,
  duration: 30,
  thinkMs: 1000,
  jobsPerOwner: 2,
  setupConcurrency: 8,
  seed: 1,
};

export type CommandStats = {
  command: string;
  count: number;
  ok: number;
  refused: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
};

export type Progress = {
  phase: 'register' | 'connect' | 'load' | 'settle' | 'verify';
  elapsedS: number;
  done?: number;
  total?: number;
  opsPerSec: number;
  p50: number;
  p99: number;
  pushes: number;
  errors: number;
};

export type HarnessResult = {
  options: HarnessOptions;
  loadSeconds: number;
  ops: number;
  opsPerSec: number;
  pushes: number;
  errors: number;
  commands: CommandStats[];
  checked: { cleanings: number; clientViews: number; events: number };
  violations: Violation[];
  correct: boolean;
};

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A REST call as the given user; throws on a network error or an unexpected status. */
async function rest<T>(
  url: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
  expect = [200, 201],
): Promise<{ status: number; body: T }> {
  const res = await fetch(url + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!expect.includes(res.status)) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

export async function runHarness(
  partial: Partial<HarnessOptions>,
  onProgress: (p: Progress) => void = () => {},
): Promise<HarnessResult> {
  const o: HarnessOptions = { ...DEFAULT_OPTIONS, ...partial };
  const url = o.url.replace(/\/+$/, '');
  const random = prng(o.seed);
  const pick = <T>(items: T[]): T | undefined =>
    items.length ? items[Math.floor(random() * items.length)] : undefined;
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;

  const records: CommandRecord[] = [];
  let window: CommandRecord[] = [];
  let pushes = 0;
  const hooks = {
    onCommand: (r: CommandRecord) => {
      records.push(r);
      window.push(r);
    },
    onPush: () => pushes++,
  };
  const restRecord = async <T>(command: string, call: () => Promise<{ status: number; body: T }>) => {
    const t0 = performance.now();
    try {
      const res = await call();
      hooks.onCommand({ command, outcome: 'ok', ms: performance.now() - t0 });
      return res.body;
    } catch {
      hooks.onCommand({ command, outcome: 'error', ms: performance.now() - t0 });
      return undefined;
    }
  };
  const errorCount = () => records.filter((r) => r.outcome === 'error').length;
  const report = (phase: Progress['phase'], extra: Partial<Progress> = {}) => {
    const sorted = window.map((r) => r.ms).sort((a, b) => a - b);
    onProgress({
      phase,
      elapsedS: elapsed(),
      opsPerSec: window.length,
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
      pushes,
      errors: errorCount(),
      ...extra,
    });
    window = [];
  };

  // 1. Register everyone through REST, as a real client would (this is the slow part: password hashing).
  const run = randomBytes(3).toString('hex');
  const specs = [
    ...Array.from({ length: o.owners }, (_, i) => ({ role: 'owner' as const, name: `h${run}_o${i}` })),
    ...Array.from({ length: o.cleaners }, (_, i) => ({ role: 'cleaner' as const, name: `h${run}_c${i}` })),
  ];
  const accounts: Account[] = new Array(specs.length);
  let registered = 0;
  const ticker = setInterval(() => report('register', { done: registered, total: specs.length }), 1000);
  try {
    await inPool(specs, o.setupConcurrency, async (spec, i) => {
      const res = await rest<UserPublic>(url, 'POST', '/api/users/', undefined, {
        new_user: {
          email: `${spec.name}@harness.example`,
          username: spec.name,
          password: `pw-${run}-${spec.name}`,
        },
      });
      accounts[i] = { id: res.body.id, username: spec.name, token: res.body.access_token!.access_token };
      registered++;
    });
  } finally {
    clearInterval(ticker);
  }

  const owners: SimulatedUser[] = [];
  const cleaners: SimulatedUser[] = [];
  specs.forEach((spec, i) =>
    (spec.role === 'owner' ? owners : cleaners).push(new SimulatedUser(accounts[i]!, spec.role, hooks)),
  );
  const ownerOf = new Map<number, SimulatedUser>();
  /** Cleanings open to offers, as the job board told the cleaners. */
  const board = new Map<number, CleaningPublic>();
  const onCleaning = (c: CleaningPublic) => board.set(c.id, c);
  const byUserId = new Map([...owners, ...cleaners].map((u) => [u.account.id, u]));

  // 2. Connect; cleaners follow the job board; owners post their first jobs and watch them.
  let connected = 0;
  const connectTicker = setInterval(() => report('connect', { done: connected, total: specs.length }), 1000);
  const postJob = async (owner: SimulatedUser) => {
    const cleaning = await restRecord('cleaning:post (REST)', () =>
      rest<CleaningPublic>(url, 'POST', '/api/cleanings/', owner.account.token, {
        new_cleaning: {
          name: `Harness job ${Math.floor(random() * 1e6)}`,
          price: 20 + Math.floor(random() * 200),
          cleaning_type: 'full_clean',
        },
      }),
    );
    if (!cleaning) return;
    ownerOf.set(cleaning.id, owner);
    board.set(cleaning.id, cleaning);
    await owner.watch(cleaning.id);
  };
  try {
    await inPool(cleaners, 50, async (c) => {
      await c.connect(url, onCleaning);
      await c.command('feed:subscribe', {});
      connected++;
    });
    await inPool(owners, 20, async (owner) => {
      await owner.connect(url);
      connected++;
      for (let j = 0; j < o.jobsPerOwner; j++) await postJob(owner);
    });
  } finally {
    clearInterval(connectTicker);
  }

  // 3. The load: each person acts, pauses, and acts again, until the time is up.
  const pause = () => sleep(-Math.log(1 - random()) * o.thinkMs);
  const loadStart = performance.now();
  const deadline = loadStart + o.duration * 1000;
  const running = () => performance.now() < deadline;
  const loadTicker = setInterval(() => report('load'), 1000);
  const opsBefore = records.length;

  const ownerLoop = async (owner: SimulatedUser) => {
    await pause();
    while (running()) {
      const r = random();
      if (r < 0.7) {
        // Accept a pending offer on one of my jobs that has none accepted.
        const candidates = [...owner.cleanings].flatMap((id) => {
          const state = owner.folded(id);
          if ([...state.values()].includes('accepted')) return [];
          return [...state].filter(([, s]) => s === 'pending').map(([userId]) => ({ id, userId }));
        });
        const choice = pick(candidates);
        const offerer = choice && byUserId.get(choice.userId);
        if (choice && offerer)
          await owner.command('offer:accept', { cleaning_id: choice.id, username: offerer.account.username });
      } else if (r < 0.85) {
        await postJob(owner);
      } else {
        await owner.reconnect();
      }
      await pause();
    }
  };
  const cleanerLoop = async (cleaner: SimulatedUser) => {
    await pause();
    while (running()) {
      const r = random();
      const mine = [...cleaner.cleanings].map((id) => ({
        id,
        status: cleaner.folded(id).get(cleaner.account.id),
      }));
      if (r < 0.55) {
        const open = [...board.keys()].filter((id) => {
          if (!cleaner.cleanings.has(id)) return true;
          return cleaner.folded(id).get(cleaner.account.id) === undefined;
        });
        const id = pick(open);
        if (id !== undefined) {
          cleaner.cleanings.add(id);
          await cleaner.command('offer:create', { cleaning_id: id });
        }
      } else if (r < 0.7) {
        const id = pick(mine.filter((m) => m.status === 'pending'))?.id;
        if (id !== undefined) await cleaner.command('offer:rescind', { cleaning_id: id });
      } else if (r < 0.9) {
        const id = pick(mine.filter((m) => m.status === 'accepted'))?.id;
        if (id !== undefined) await cleaner.command('offer:cancel', { cleaning_id: id });
      } else {
        await cleaner.reconnect(onCleaning);
      }
      await pause();
    }
  };
  try {
    await Promise.all([...owners.map(ownerLoop), ...cleaners.map(cleanerLoop)]);
  } finally {
    clearInterval(loadTicker);
  }
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const ops = records.length - opsBefore;

  // 4. Let the last pushes land: wait until no push has arrived for a second (at most 15 s).
  const settleUntil = performance.now() + 15_000;
  for (let quiet = 0, seen = pushes; quiet < 2 && performance.now() < settleUntil;) {
    await sleep(500);
    quiet = pushes === seen ? quiet + 1 : 0;
    seen = pushes;
    report('settle');
  }

  // 5. Check: each client's folded events against the server's final state and its log.
  const violations: Violation[] = [...owners, ...cleaners].flatMap((u) => u.violations);
  const checked = { cleanings: 0, clientViews: 0, events: 0 };
  const fail = (user: SimulatedUser, cleaningId: number, kind: Violation['kind'], detail: string) =>
    violations.push({ user: user.account.username, cleaningId, kind, detail });
  const readLog = async (token: string, cleaningId: number): Promise<OfferEventPublic[]> => {
    const all: OfferEventPublic[] = [];
    for (let since = 0; ;) {
      const page = (
        await rest<OfferEventPublic[]>(
          url,
          'GET',
          `/api/cleanings/${cleaningId}/events/?since=${since}`,
          token,
        )
      ).body;
      all.push(...page);
      if (page.length < 5000) return all;
      since = page.at(-1)!.seq;
    }
  };
  let verified = 0;
  const verifyTicker = setInterval(
    () => report('verify', { done: verified, total: owners.length + cleaners.length }),
    1000,
  );
  try {
    await inPool(owners, o.setupConcurrency, async (owner) => {
      for (const id of owner.cleanings) {
        const offers = (
          await rest<OfferPublic[]>(url, 'GET', `/api/cleanings/${id}/offers/`, owner.account.token)
        ).body;
        const log = await readLog(owner.account.token, id);
        checked.cleanings++;
        checked.clientViews++;
        checked.events += log.length;
        const expected = new Map(offers.map((x) => [x.user_id, x.status]));
        const folded = owner.folded(id);
        if (JSON.stringify([...folded].sort()) !== JSON.stringify([...expected].sort()))
          fail(
            owner,
            id,
            'state',
            `folded ${JSON.stringify([...folded])} but the server has ${JSON.stringify([...expected])}`,
          );
        const got = new Set(owner.seqs(id));
        const missing = log.filter((e) => !got.has(e.seq)).map((e) => e.seq);
        if (missing.length)
          fail(owner, id, 'missing', `never received seq ${missing.slice(0, 10).join(', ')}`);
      }
      verified++;
    });
    await inPool(cleaners, o.setupConcurrency, async (cleaner) => {
      const mine = (await rest<MyOffer[]>(url, 'GET', '/api/users/me/offers/', cleaner.account.token)).body;
      const serverStatus = new Map(mine.map((m) => [m.cleaning_id, m.status]));
      for (const id of cleaner.cleanings) {
        checked.clientViews++;
        const folded = cleaner.folded(id).get(cleaner.account.id);
        if (folded !== serverStatus.get(id))
          fail(
            cleaner,
            id,
            'state',
            `folded ${folded ?? 'no offer'} but the server has ${serverStatus.get(id) ?? 'no offer'}`,
          );
        const log = await readLog(cleaner.account.token, id).catch(() => [] as OfferEventPublic[]);
        checked.events += log.length;
        const got = new Set(cleaner.seqs(id));
        const missing = log.filter((e) => !got.has(e.seq)).map((e) => e.seq);
        if (missing.length)
          fail(cleaner, id, 'missing', `never received seq ${missing.slice(0, 10).join(', ')}`);
      }
      verified++;
    });
  } finally {
    clearInterval(verifyTicker);
    for (const u of [...owners, ...cleaners]) u.close();
  }

  const byCommand = new Map<string, CommandRecord[]>();
  for (const r of records) {
    const list = byCommand.get(r.command) ?? [];
    list.push(r);
    byCommand.set(r.command, list);
  }
  const commands: CommandStats[] = [...byCommand].map(([command, list]) => {
    const sorted = list.map((r) => r.ms).sort((a, b) => a - b);
    return {
      command,
      count: list.length,
      ok: list.filter((r) => r.outcome === 'ok').length,
      refused: list.filter((r) => r.outcome === 'refused').length,
      errors: list.filter((r) => r.outcome === 'error').length,
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
      max: sorted.at(-1) ?? NaN,
    };
  });
  const errors = errorCount();
  return {
    options: o,
    loadSeconds,
    ops,
    opsPerSec: ops / loadSeconds,
    pushes,
    errors,
    commands: commands.sort((a, b) => b.count - a.count),
    checked,
    violations,
    correct: violations.length === 0 && errors === 0,
  };
}
