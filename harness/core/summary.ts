/** The part of vitest's JSON reporter output (Jest-compatible) that the summary reads. */
export interface VitestJsonReport {
  readonly numTotalTests: number;
  readonly numPassedTests: number;
  readonly numFailedTests: number;
  readonly numPendingTests: number;
  readonly testResults: readonly {
    readonly name: string;
    readonly assertionResults: readonly { readonly fullName: string; readonly status: string }[];
  }[];
}

/**
 * A summary a person reads at the end of a run: the target, the counts, every failed and every skipped
 * scenario by name (skipped scenarios carry their reason in their name).
 */
export function summarize(report: VitestJsonReport, target: string): string {
  const all = report.testResults.flatMap((file) => file.assertionResults);
  const failed = all.filter((t) => t.status === 'failed');
  const skipped = all.filter((t) => t.status === 'pending' || t.status === 'skipped' || t.status === 'todo');
  const lines = [
    `Scenario summary — target: ${target}`,
    `  ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped.length} skipped (${report.numTotalTests} in all)`,
  ];
  if (report.numTotalTests === 0) {
    // Global setup (the target's start) failed before any file ran: vitest then reports no tests at all.
    lines.push(`  No scenario ran: the ${target} target did not start. Its error is above ("Target "${target}" failed to start: …"),`);
    lines.push('  with the run folder it names.');
  }
  if (failed.length > 0) lines.push('  Failed:', ...failed.map((t) => `    ✗ ${t.fullName}`));
  if (skipped.length > 0) lines.push('  Skipped:', ...skipped.map((t) => `    - ${t.fullName}`));
  return lines.join('\n');
}
