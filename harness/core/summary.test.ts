import { describe, expect, it } from 'vitest';
import { summarize } from './summary.ts';

describe('summarize', () => {
  it('should name the target, the counts, and every failed and skipped scenario', () => {
    const text = summarize(
      {
        numTotalTests: 3,
        numPassedTests: 1,
        numFailedTests: 1,
        numPendingTests: 1,
        testResults: [
          {
            name: 'scenarios/faults.scenario.ts',
            assertionResults: [
              { fullName: 'faults the function crashes (skipped: the aws target cannot inject function-crash) should …', status: 'skipped' },
              { fullName: 'greeting should answer 200', status: 'passed' },
              { fullName: 'messages should store', status: 'failed' },
            ],
          },
        ],
      },
      'aws',
    );
    expect(text).toContain('target: aws');
    expect(text).toContain('1 passed, 1 failed, 1 skipped (3 in all)');
    expect(text).toContain('✗ messages should store');
    expect(text).toContain('- faults the function crashes (skipped: the aws target cannot inject function-crash)');
  });

  it('should say that no scenario ran, and why, when the target did not start', () => {
    const text = summarize({ numTotalTests: 0, numPassedTests: 0, numFailedTests: 0, numPendingTests: 0, testResults: [] }, 'localstack');
    expect(text).toContain('0 passed, 0 failed, 0 skipped (0 in all)');
    expect(text).toContain('No scenario ran: the localstack target did not start.');
  });
});
