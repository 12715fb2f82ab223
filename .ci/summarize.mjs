// Adds up vitest's JSON reports and prints "N passed, N failed" on a line of its own.
// A command that failed without any failing test (formatting, type errors, a crash) counts as one failure.
import { readdirSync, readFileSync } from 'node:fs';

const statuses = process.argv.slice(2).map(Number);
let passed = 0;
let failed = 0;
let reports = [];
try {
  reports = readdirSync('test-results').filter((f) => f.endsWith('.json'));
} catch {
  reports = [];
}
for (const file of reports) {
  const report = JSON.parse(readFileSync(`test-results/${file}`, 'utf8'));
  // Other JSON files live there too (the reliability figures); only vitest reports count.
  if (typeof report.numTotalTests !== 'number') continue;
  passed += report.numPassedTests ?? 0;
  let failedHere = report.numRuntimeErrorTests ?? 0;
  for (const file of report.testResults ?? []) {
    const notPassed = (file.assertionResults ?? []).filter((t) => t.status !== 'passed').length;
    // A file whose setup failed reports its tests as skipped: each of them counts as failed.
    if (file.status === 'failed') failedHere += Math.max(1, notPassed);
  }
  if (!report.success && failedHere === 0) failedHere = 1;
  failed += failedHere;
}
const commandFailures = statuses.filter((s) => s !== 0).length;
if (failed === 0 && commandFailures > 0) failed = commandFailures;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || commandFailures > 0 ? 1 : 0);
