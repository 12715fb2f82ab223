// Fault tests report what they measured; the figures end up in test-results/reliability.json
// (and are printed), which is where docs/RELIABILITY.md takes them from.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const FILE = 'test-results/reliability.json';

export function recordFigures(scenario: string, figures: Record<string, unknown>): void {
  mkdirSync('test-results', { recursive: true });
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(readFileSync(FILE, 'utf8')) as Record<string, unknown>;
  } catch {
    all = {};
  }
  all[scenario] = { ...figures, at: new Date().toISOString() };
  writeFileSync(FILE, JSON.stringify(all, null, 2) + '\n');
  console.log(`[reliability] ${scenario}: ${JSON.stringify(figures)}`);
}
