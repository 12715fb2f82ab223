import { gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

/** What the dashboard's JavaScript may weigh, gzipped, so that a phone on a slow network is not kept waiting. */
export const JS_BUDGET_BYTES = 60 * 1024;

/** Fails the build when the emitted JavaScript, gzipped, is over the budget; prints the weight otherwise. */
export function bundleBudget(budget = JS_BUDGET_BYTES): Plugin {
  return {
    name: 'phresh-bundle-budget',
    apply: 'build',
    generateBundle(_options, bundle) {
      let total = 0;
      for (const output of Object.values(bundle))
        if (output.type === 'chunk') total += gzipSync(output.code, { level: 9 }).length;
      const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
      if (total > budget)
        this.error(`the dashboard's JavaScript is ${kb(total)} gzipped, over its budget of ${kb(budget)}`);
      this.info(`JavaScript: ${kb(total)} gzipped (budget ${kb(budget)})`);
    },
  };
}
