import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const outdir = mkdtempSync(path.join(tmpdir(), 'infra-app-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

// What the CDK CLI does for `cdk synth`: run cdk.json's command with CDK_OUTDIR set. Once for the file.
execFileSync(process.execPath, ['infra/app.ts'], {
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  env: { ...process.env, CDK_OUTDIR: outdir, HARNESS_STACK_NAME: 'app-entry-test', HARNESS_INSPECTOR: '1' },
  stdio: 'pipe',
});

describe('app.ts (the CDK CLI entry)', () => {
  it('names the stack from HARNESS_STACK_NAME and adds the inspector for HARNESS_INSPECTOR=1', () => {
    const template = JSON.parse(readFileSync(path.join(outdir, 'app-entry-test.template.json'), 'utf8'));
    const names = Object.values(template.Resources as Record<string, { Type: string; Properties: { FunctionName?: string } }>)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => r.Properties.FunctionName)
      .sort();
    expect(names).toEqual(['app-entry-test-efs-inspector', 'app-entry-test-myHelloVPCLambda']);
  });
});
