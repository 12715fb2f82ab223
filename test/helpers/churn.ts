// Background load for fault tests: cleaners keep offering, rescinding, being accepted and cancelling,
// over REST, spread over whichever nodes are alive. Failures during a fault are counted, not thrown.
import type { TestUser } from './api.ts';

export type ChurnStats = { ok: number; failed: number; byStatus: Record<string, number> };

export function startChurn(options: {
  owner: TestUser;
  cleaners: TestUser[];
  cleaningIds: number[];
  urls: () => string[];
  pauseMs?: number;
}): { stop(): Promise<ChurnStats>; cleaningIds(): number[]; answered(): ChurnStats } {
  let running = true;
  const stats: ChurnStats = { ok: 0, failed: 0, byStatus: {} };
  let n = 0;
  const pick = <T>(items: T[]) => items[n++ % items.length]!;

  async function call(user: TestUser, method: string, path: string) {
    const url = pick(options.urls());
    try {
      const res = await fetch(url + path, { method, headers: { authorization: `Bearer ${user.token}` } });
      await res.arrayBuffer();
      stats.byStatus[res.status] = (stats.byStatus[res.status] ?? 0) + 1;
      if (res.status < 300) stats.ok++;
      else stats.failed++;
      return res.status;
    } catch {
      stats.byStatus.network = (stats.byStatus.network ?? 0) + 1;
      stats.failed++;
      return 0;
    }
  }

  const cleaningIds = [...options.cleaningIds];

  async function newCleaning(): Promise<void> {
    const url = pick(options.urls());
    try {
      const res = await fetch(`${url}/api/cleanings/`, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.owner.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ new_cleaning: { name: 'churn', price: 10 } }),
      });
      if (res.status === 201) cleaningIds.push(((await res.json()) as { id: number }).id);
      else await res.arrayBuffer();
    } catch {
      // the node is down; another loop will try again
    }
  }

  const loops = options.cleaners.map(async (cleaner, i) => {
    let step = i;
    // A cancelled offer is final for its cleaner, so each cleaner moves on to cleanings it has not finished.
    const finished = new Set<number>();
    while (running) {
      const open = cleaningIds.filter((id) => !finished.has(id));
      if (open.length === 0) {
        await newCleaning();
        continue;
      }
      const cleaningId = open[step++ % open.length]!;
      const offers = `/api/cleanings/${cleaningId}/offers/`;
      if ((await call(cleaner, 'POST', offers)) === 201) {
        if (step % 3 === 0 && (await call(options.owner, 'PUT', `${offers}${cleaner.username}/`)) === 200) {
          if ((await call(cleaner, 'PUT', offers)) === 200) finished.add(cleaningId);
        } else {
          await call(cleaner, 'DELETE', offers);
        }
      } else {
        // Possibly left over from an interrupted round: clean up whatever state the offer is in.
        if ((await call(cleaner, 'PUT', offers)) === 200) finished.add(cleaningId);
        await call(cleaner, 'DELETE', offers);
      }
      if (options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
    }
  });

  return {
    cleaningIds: () => [...cleaningIds],
    /** The answers so far, for waiting until the load has done some work. */
    answered: () => ({ ...stats, byStatus: { ...stats.byStatus } }),
    async stop() {
      running = false;
      await Promise.all(loops);
      return stats;
    },
  };
}
