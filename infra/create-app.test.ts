import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from './create-app.ts';
import { resources } from './test-support.ts';

// 47 characters: the longest stack name whose function name, `<stack>-myHelloVPCLambda`, fits Lambda's 64
// (Source: https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html, FunctionName: "If you specify only the
// function name, it is limited to 64 characters in length").
const STACK_NAME = `unit-${'x'.repeat(42)}`;
const TAGS = { project: 'hello-vpc-lambda', run: 'unit' };
const outdir = mkdtempSync(path.join(tmpdir(), 'infra-create-app-'));

// One synthesis for the whole file, with Docker made unusable: it passes only if esbuild bundles locally. CDK runs
// `process.env.CDK_DOCKER ?? 'docker'` (Source: installed aws-cdk-lib 2.276.0, core/lib/private/asset-staging.js
// dockerExec; github.com/aws/aws-cdk packages/aws-cdk-lib/core/lib/private/asset-staging.ts).
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
    expect(() => createApp({ outdir: mkdtempSync(path.join(outdir, 'too-long-')), stackName: tooLong })).toThrow(
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

  it('binds the stack to an account and region, keeping the zones as Fn::GetAZs and needing no context lookup', () => {
    const bound = createApp({ outdir: mkdtempSync(path.join(outdir, 'bound-')), env: { account: '123456789012', region: 'eu-west-1' } });
    const assembly = bound.app.synth();
    // The CDK CLI compares this environment with the credentials' account before it deploys.
    expect(assembly.getStackByName(bound.stack.stackName).environment).toMatchObject({ account: '123456789012', region: 'eu-west-1', name: 'aws://123456789012/eu-west-1' });
    // Without the stack's own zones, CDK would report the zones as missing context and write placeholders.
    expect(assembly.manifest.missing).toBeUndefined();
    const zones = resources(Template.fromStack(bound.stack), 'AWS::EC2::Subnet').map(([, r]) => r.Properties?.AvailabilityZone);
    expect(zones).toEqual([{ 'Fn::Select': [0, { 'Fn::GetAZs': '' }] }, { 'Fn::Select': [1, { 'Fn::GetAZs': '' }] }]);
  });

  it('leaves the stack environment-agnostic without env, deployable anywhere', () => {
    expect(app.synth().getStackByName(STACK_NAME).environment).toMatchObject({ account: 'unknown-account', region: 'unknown-region' });
  });

  it('reserves the concurrency it is given for the API function only, and passes throttling to the $default stage', () => {
    const limited = Template.fromStack(
      createApp({ outdir: mkdtempSync(path.join(outdir, 'limited-')), inspector: true, reservedConcurrency: 20, throttle: { rateLimit: 5, burstLimit: 10 } }).stack,
    );
    const reserved = Object.fromEntries(resources(limited, 'AWS::Lambda::Function').map(([, r]) => [r.Properties?.FunctionName, r.Properties?.ReservedConcurrentExecutions]));
    expect(reserved).toEqual({ 'HelloVpcLambda-myHelloVPCLambda': 20, 'HelloVpcLambda-efs-inspector': undefined });
    limited.hasResourceProperties('AWS::ApiGatewayV2::Stage', { StageName: '$default', DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 } });
  });

  it.each([
    [{ reservedConcurrency: 0 }, 'reservedConcurrency 0 must be a whole number of at least 1'],
    [{ reservedConcurrency: 2.5 }, 'reservedConcurrency 2.5 must be a whole number of at least 1'],
    [{ throttle: { rateLimit: 0, burstLimit: 10 } }, 'throttle.rateLimit 0 must be a positive number of requests per second.'],
    [{ throttle: { rateLimit: 5, burstLimit: 1.5 } }, 'throttle.burstLimit 1.5 must be a positive whole number of requests.'],
  ])('rejects %j before synthesis', (options, message) => {
    expect(() => createApp({ outdir: mkdtempSync(path.join(outdir, 'invalid-')), ...options })).toThrow(message);
  });
});
