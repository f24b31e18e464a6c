import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../infra/create-app.ts';
import { bridgeOnlyTemplate } from '../targets/localstack/bridge-only.ts';
import { type CfnTemplate, validateTemplate } from './template.ts';

// Every template the project synthesizes, as CloudFormation would receive it. A variant the harness derives from
// them (e.g. for LocalStack) belongs in this list too.
const VARIANTS: readonly (readonly [string, (outdir: string) => CfnTemplate])[] = [
  ['plain', (outdir) => Template.fromStack(createApp({ outdir }).stack).toJSON()],
  ['with the read-only inspector', (outdir) => Template.fromStack(createApp({ outdir, inspector: true }).stack).toJSON()],
  // What the LocalStack targets deploy on a plan without the EFS API (harness/targets/localstack/bridge-only.ts).
  ['LocalStack bridge-only', (outdir) => bridgeOnlyTemplate(Template.fromStack(createApp({ outdir }).stack).toJSON() as Parameters<typeof bridgeOnlyTemplate>[0]).template],
];

interface Resource {
  Type: string;
  Properties: Record<string, any>;
}

let outdir: string;
const templates = new Map<string, CfnTemplate>();

beforeAll(async () => {
  outdir = mkdtempSync(path.join(tmpdir(), 'template-validate-'));
  for (const [name, synthesize] of VARIANTS) templates.set(name, synthesize(path.join(outdir, String(templates.size))));
  // Loads the resource database once, before the timed tests.
  await validateTemplate({});
}, 120_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** A copy of the plain template with its Lambda function at hand, to break. */
function plainWithFunction(): { template: { Resources: Record<string, Resource> }; id: string; fn: Resource } {
  const template = structuredClone(templates.get('plain')) as { Resources: Record<string, Resource> };
  const [id, fn] = Object.entries(template.Resources).find(([, r]) => r.Type === 'AWS::Lambda::Function') ?? [];
  if (!id || !fn) throw new Error('The plain template has no AWS::Lambda::Function.');
  return { template, id, fn };
}

describe('synthesized templates against the CloudFormation resource definitions', () => {
  it.each(VARIANTS.map(([name]) => name))('should accept the %s template, every resource of it', async (name) => {
    const template = templates.get(name)!;
    expect(Object.keys(template.Resources ?? {}).length).toBeGreaterThan(10);
    expect(await validateTemplate(template)).toEqual([]);
  });

  it('should reject a property of the wrong type, naming the resource and the property', async () => {
    const { template, id, fn } = plainWithFunction();
    fn.Properties.Timeout = '30';
    expect(await validateTemplate(template)).toEqual([`${id} (AWS::Lambda::Function): Timeout must be an integer, got "30"`]);
  });

  it('should reject a wrong type inside a nested structure and a list', async () => {
    const { template, id, fn } = plainWithFunction();
    fn.Properties.VpcConfig.SubnetIds = 'subnet-1';
    fn.Properties.FileSystemConfigs[0].LocalMountPath = 5;
    expect(await validateTemplate(template)).toEqual([
      `${id} (AWS::Lambda::Function): FileSystemConfigs[0].LocalMountPath must be a string, got 5`,
      `${id} (AWS::Lambda::Function): VpcConfig.SubnetIds must be a list, got "subnet-1"`,
    ]);
  });

  it('should reject a misspelled property, a missing required one and an unknown resource type', async () => {
    const { template, id, fn } = plainWithFunction();
    fn.Properties.MemmorySize = fn.Properties.MemorySize;
    delete fn.Properties.Role;
    template.Resources.Extra = { Type: 'AWS::Lambda::Functon', Properties: {} };
    expect(await validateTemplate(template)).toEqual([
      `${id} (AWS::Lambda::Function): Role is required but missing`,
      `${id} (AWS::Lambda::Function): MemmorySize is not a property of AWS::Lambda::Function`,
      'Extra (AWS::Lambda::Functon): AWS::Lambda::Functon is not a CloudFormation resource type',
    ]);
  });

  it('should accept a value computed at deploy time wherever a value may go', async () => {
    const { template, fn } = plainWithFunction();
    fn.Properties.Timeout = { Ref: 'TimeoutParameter' };
    fn.Properties.VpcConfig.SubnetIds = { 'Fn::Split': [',', { Ref: 'Subnets' }] };
    expect(await validateTemplate(template)).toEqual([]);
  });
});
