// Reads a V8 .cpuprofile (node --cpu-prof) and says where the time went: self time per function, and per
// package or source folder, so that the benchmark doc can show what bounds a figure.
import { readFileSync } from 'node:fs';

type Node = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
};
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };

export type ProfileSummary = {
  totalMs: number;
  idleMs: number;
  byFunction: { name: string; ms: number; share: number }[];
  byArea: { area: string; ms: number; share: number }[];
};

/** Which package or source folder a script URL belongs to. */
export function areaOf(url: string): string {
  if (!url) return '(native / V8)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return 'node core';
  const src = url.indexOf('/src/');
  if (src >= 0)
    return url
      .slice(src + 1)
      .split('/')
      .slice(0, 2)
      .join('/');
  return url.replace(/^.*\//, '');
}

export function summariseProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  let total = 0;
  let idle = 0;
  const fn = new Map<string, number>();
  const area = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    total += us;
    if (functionName === '(idle)' || functionName === '(program)') {
      if (functionName === '(idle)') idle += us;
    }
    if (functionName === '(idle)') continue;
    const short = url
      ? `${url.replace(/^.*node_modules\//, '').replace(/^.*\/(src|bench)\//, '$1/')}:${lineNumber + 1}`
      : '';
    const name = `${functionName || '(anonymous)'} ${short}`.trim();
    fn.set(name, (fn.get(name) ?? 0) + us);
    const a =
      functionName === '(garbage collector)'
        ? '(garbage collector)'
        : functionName === '(program)'
          ? '(program)'
          : areaOf(url);
    area.set(a, (area.get(a) ?? 0) + us);
  }
  const busy = total - idle;
  const rank = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => ({ k, ms: us / 1000, share: busy > 0 ? us / busy : 0 }));
  return {
    totalMs: total / 1000,
    idleMs: idle / 1000,
    byFunction: rank(fn).map(({ k, ms, share }) => ({ name: k, ms, share })),
    byArea: rank(area).map(({ k, ms, share }) => ({ area: k, ms, share })),
  };
}

// `node bench/lib/cpu-profile.ts FILE` prints the summary.
if (import.meta.url === `file://${process.argv[1]}`) {
  const s = summariseProfile(process.argv[2]!, Number(process.argv[3] ?? 25));
  console.log(`busy ${(s.totalMs - s.idleMs).toFixed(0)} ms of ${s.totalMs.toFixed(0)} ms`);
  for (const a of s.byArea) console.log(`${(a.share * 100).toFixed(1).padStart(5)}%  ${a.area}`);
  console.log('');
  for (const f of s.byFunction) console.log(`${(f.share * 100).toFixed(1).padStart(5)}%  ${f.name}`);
}
