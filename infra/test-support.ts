import type { Template } from 'aws-cdk-lib/assertions';

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
