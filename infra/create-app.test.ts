import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from './create-app.ts';
import { resources } from './test-support.ts';

// 47 characters: the longest stack name whose function name, `<stack>-myHelloVPCLambda`, fits Lambda's 64.
const STACK_NAME = `unit-${'x'.repeat(42)}`;
const TAGS = { project: 'hello-vpc-lambda', run: 'unit' };
const outdir = mkdtempSync(path.join(tmpdir(), 'infra-create-app-'));

// One synthesis for the whole file, with Docker made unusable: it passes only if esbuild bundles locally.
const previousDocker = process.env.CDK_DOCKER;
process.env.CDK_DOCKER = path.join(outdir, 'no-docker-here');
const { app, stack } = (() => {
  try {
    const created = createApp({ outdir, stackName: STACK_NAME, tags: TAGS });
    created.app.synth();
    return created;
  } finally {
    if (previousDocker === undefined) delete process.env.CDK_DOCKER;
    else process.env.CDK_DOCKER = previousDocker;
  }
})();
const template = Template.fromStack(stack);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('createApp', () => {
  it('bundles the handler with the local esbuild, without Docker', () => {
    const [, fn] = resources(template, 'AWS::Lambda::Function')[0]!;
    expect(existsSync(path.join(outdir, String(fn.Metadata?.['aws:asset:path']), 'index.mjs'))).toBe(true);
  });

  it('writes <stack name>.template.json into outdir, the file the harness reads', () => {
    expect(existsSync(path.join(outdir, `${STACK_NAME}.template.json`))).toBe(true);
  });

  it('accepts a 47-character stack name: the function name is then exactly 64 characters', () => {
    expect(stack.stackName).toHaveLength(47);
    template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: `${STACK_NAME}-myHelloVPCLambda` });
    expect(`${STACK_NAME}-myHelloVPCLambda`).toHaveLength(64);
  });

  it('rejects a stack name one character longer, naming the stack and the longest name allowed', () => {
    const tooLong = `${STACK_NAME}y`;
    expect(() => createApp({ stackName: tooLong })).toThrow(
      `Function name "${tooLong}-myHelloVPCLambda" has 65 characters, Lambda allows 64: stack name "${tooLong}" is too long, use at most 47 characters.`,
    );
  });

  it('tags the stack and its resources', () => {
    expect(stack.tags.tagValues()).toEqual(TAGS);
    for (const type of ['AWS::EC2::VPC', 'AWS::EFS::FileSystem', 'AWS::Lambda::Function']) {
      const [, resource] = resources(template, type)[0]!;
      expect(resource.Properties?.Tags ?? resource.Properties?.FileSystemTags, type).toEqual(
        expect.arrayContaining(Object.entries(TAGS).map(([Key, Value]) => ({ Key, Value }))),
      );
    }
  });

  it('sets every context value of cdk.json, so `cdk synth` and the harness get the same template', () => {
    const cdkJson = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };
    for (const [key, value] of Object.entries(cdkJson.context)) expect(app.node.tryGetContext(key), key).toEqual(value);
  });

  it('leaves out the AWS::CDK::Metadata resource', () => {
    template.resourceCountIs('AWS::CDK::Metadata', 0);
  });
});
