/** One line of the headline table. */
export type Row = {
  scenario: string;
  metric: string;
  value: string;
  baseline: string;
  ratio: string;
  target: string;
  verdict: 'met' | 'missed' | '';
  /** Our side's figure as a number, for `--compare` (two checkouts, row by row). */
  measure?: {
    value: number;
    higherIsBetter: boolean;
    /**
     * The same figure divided by its baseline's, measured in the same run: the machine's load moves both, so
     * `--compare` shows this too.
     */
    ofBaseline?: number;
  };
};

/** What a scenario hands back: headline rows, a detailed markdown section, and its raw figures (JSON). */
export type ScenarioResult = {
  id: string;
  title: string;
  rows: Row[];
  details: string[];
  raw: unknown;
};

export function table(header: string[], rows: string[][]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

/** Progress on stderr, so that the benchmark's own output stays readable. */
export function say(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
