import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { createApp } from './create-app.ts';
import { scratchOutdir } from './test-support.ts';

// One synthesis for the whole file: it bundles the handler with esbuild.
const { stack } = createApp({ outdir: scratchOutdir() });
const template = JSON.stringify(Template.fromStack(stack).toJSON(), null, 2);

/**
 * Asset hashes (the S3 key and `aws:asset:path` of the bundled code) change with every edit of the handler
 * and with where the assembly is written (the source map's relative paths): replaced, so the snapshot
 * changes only when the infrastructure does.
 */
const normalized = `${template.replace(/\b[0-9a-f]{64}\b/g, '<asset-hash>')}\n`;

describe('template snapshot', () => {
  it('names no asset hash', () => {
    expect(normalized).not.toMatch(/[0-9a-f]{64}/);
    expect(normalized).toContain('"S3Key": "<asset-hash>.zip"');
    expect(normalized).toContain('"aws:asset:path": "asset.<asset-hash>"');
  });

  it('matches the reviewed template (update with `npx vitest run --project unit infra -u`)', async () => {
    await expect(normalized).toMatchFileSnapshot('__snapshots__/template.json');
  });
});
