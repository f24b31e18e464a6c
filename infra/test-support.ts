import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll } from 'vitest';

/**
 * A cloud assembly folder for one test file, removed after it: an App without `outdir` makes its own
 * `cdk.out*` in the temp folder (aws-cdk-lib App, as soon as it is constructed) and nobody removes it.
 * Call it at the top of a file.
 */
export function scratchOutdir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'infra-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Checks on a synthesized template that aws-cdk-lib/assertions does not offer, shared by the infra tests.
 * They throw plain errors that name the resource at fault.
 */

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
  readonly DependsOn?: string | string[];
  readonly Metadata?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

export function resources(template: Template, type: string): [string, CfnResource][] {
  return Object.entries(template.toJSON().Resources as Record<string, CfnResource>).filter(([, r]) => r.Type === type);
}

/** The only resource of a type, with its logical id. */
export function onlyResource(template: Template, type: string): [string, CfnResource] {
  const found = resources(template, type);
  const [first] = found;
  if (!first || found.length > 1) throw new Error(`Expected one ${type}, found ${found.length}.`);
  return first;
}

/** Logical id of the security group whose GroupName is `groupName`. */
export function securityGroupId(template: Template, groupName: string): string {
  const found = resources(template, 'AWS::EC2::SecurityGroup').filter(([, r]) => r.Properties?.GroupName === groupName);
  const [first] = found;
  if (!first || found.length > 1) throw new Error(`Expected one security group named ${groupName}, found ${found.length}.`);
  return first[0];
}

/**
 * Every EFS mount target carries the security group named `groupName` and no other; there is at least one.
 * The console's classic mistake, mount targets left on the VPC's default group, fails this.
 */
export function expectMountTargetsOnlyOn(template: Template, groupName: string): void {
  const groupId = securityGroupId(template, groupName);
  const expected = JSON.stringify([{ 'Fn::GetAtt': [groupId, 'GroupId'] }]);
  const mountTargets = resources(template, 'AWS::EFS::MountTarget');
  if (mountTargets.length === 0) throw new Error('The template has no AWS::EFS::MountTarget.');
  for (const [id, mountTarget] of mountTargets) {
    const actual = JSON.stringify(mountTarget.Properties?.SecurityGroups);
    if (actual !== expected) {
      throw new Error(`Mount target ${id} carries security groups ${actual}; expected only ${groupName}: ${expected}.`);
    }
  }
}

/** The ARN of an access point as CDK writes it into the template. */
export function accessPointArn(logicalId: string): unknown {
  return {
    'Fn::Join': [
      '',
      ['arn:', { Ref: 'AWS::Partition' }, ':elasticfilesystem:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':access-point/', { Ref: logicalId }],
    ],
  };
}

export interface PolicyStatement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Principal?: { AWS: unknown };
  readonly Resource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** What an NFS client asks when it connects: one client action, and the values of the condition keys. */
export interface ClientConnection {
  readonly action: string;
  /** The identity policy statements of the client's role; [] for a client that does not use IAM. */
  readonly identity: readonly PolicyStatement[];
  /** Condition keys EFS sets for the connection (EFS docs: "EFS condition keys for clients"). */
  readonly context: Readonly<Record<string, unknown>>;
}

/**
 * How EFS decides a client action, written down so that template tests can check the outcome, not the
 * wording: an explicit Deny in the file system policy or the identity policy wins; otherwise an Allow in
 * *either* allows ("An allow permission on an action in either an IAM identity policy or a file system
 * resource policy allows access for that action", EFS docs, "Using IAM to control access to file systems",
 * https://docs.aws.amazon.com/efs/latest/ug/iam-access-control-nfs-efs.html, and IAM's policy evaluation
 * logic for requests within one account); nothing allows it: implicitly denied. Only what this stack uses is
 * modelled: principal `*`, the Bool and StringEquals operators (a key the request lacks does not match), and
 * resources compared as the template writes them.
 */
export function efsClientDecision(
  fileSystemPolicy: { Statement: readonly PolicyStatement[] },
  fileSystemArn: unknown,
  connection: ClientConnection,
): 'allow' | 'deny' | 'implicit deny' {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const matches = (s: PolicyStatement, fromResourcePolicy: boolean) => {
    const actions = ([] as string[]).concat(s.Action);
    if (!actions.includes(connection.action) && !actions.includes('*')) return false;
    if (fromResourcePolicy && !same(s.Principal, { AWS: '*' })) throw new Error(`Principal ${JSON.stringify(s.Principal)} is not modelled.`);
    if (!fromResourcePolicy && !same(s.Resource, fileSystemArn) && s.Resource !== '*') return false;
    return Object.entries(s.Condition ?? {}).every(([operator, keys]) => {
      if (operator !== 'Bool' && operator !== 'StringEquals') throw new Error(`Condition operator ${operator} is not modelled.`);
      return Object.entries(keys).every(([key, value]) => key in connection.context && same(connection.context[key], value));
    });
  };
  const all = [
    ...fileSystemPolicy.Statement.map((s) => [s, true] as const),
    ...connection.identity.map((s) => [s, false] as const),
  ].filter(([s, fromResourcePolicy]) => matches(s, fromResourcePolicy));
  if (all.some(([s]) => s.Effect === 'Deny')) return 'deny';
  return all.some(([s]) => s.Effect === 'Allow') ? 'allow' : 'implicit deny';
}
