import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateWorkflow, WORKFLOWS_DIR, workflowFiles } from './workflows.ts';

// The workflows cannot run here: GitHub's own workflow parser says whether GitHub would accept them.

const MINIMAL = `on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
`;

describe('GitHub workflows against GitHub\'s workflow schema', () => {
  it('should find the workflows', () => {
    expect(workflowFiles()).toEqual(expect.arrayContaining(['aws-smoke.yml', 'ci.yml']));
  });

  it.each(workflowFiles())('should accept %s', async (file) => {
    expect(await validateWorkflow(file, readFileSync(path.join(WORKFLOWS_DIR, file), 'utf8'))).toEqual([]);
  });

  it('should accept a minimal workflow', async () => {
    expect(await validateWorkflow('minimal.yml', MINIMAL)).toEqual([]);
  });

  it('should reject a step with both `uses` and `run`, naming the line', async () => {
    const both = MINIMAL.replace('      - uses: actions/checkout@v4\n', '      - uses: actions/checkout@v4\n        run: npm ci\n');
    expect(await validateWorkflow('both.yml', both)).toEqual(["both.yml (Line: 7, Col: 9): Unexpected value 'run'"]);
  });

  it('should reject a misspelled job key and a value of the wrong type', async () => {
    const broken = MINIMAL.replace('    runs-on: ubuntu-latest\n', '    runs-on: ubuntu-latest\n    timeout-minutes: soon\n    step: []\n');
    expect(await validateWorkflow('broken.yml', broken)).toEqual([
      "broken.yml (Line: 5, Col: 22): Unexpected value 'soon'",
      "broken.yml (Line: 6, Col: 5): Unexpected value 'step'",
    ]);
  });

  it('should reject a broken expression and a job that needs an unknown job', async () => {
    const broken = `${MINIMAL}  deploy:
    needs: [test, build]
    if: github.ref == 'main' &&
    runs-on: ubuntu-latest
    steps:
      - run: npm run deploy
`;
    const errors = await validateWorkflow('broken.yml', broken);
    expect(errors).toContainEqual(expect.stringMatching(/^broken\.yml \(Line: 9, Col: 9\): Unexpected end of expression/));
    expect(errors).toContainEqual(expect.stringMatching(/^broken\.yml \(Line: 8, Col: \d+\): Job 'deploy' depends on unknown job 'build'\.$/));
  });
});
