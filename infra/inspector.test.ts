import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { createApp } from './create-app.ts';
import { accessPointArn, efsClientDecision, onlyResource, type PolicyStatement, resources, scratchOutdir, securityGroupId } from './test-support.ts';

// One synthesis for the whole file: it bundles both handlers with esbuild.
const { stack } = createApp({ outdir: scratchOutdir(), inspector: true });
const template = Template.fromStack(stack);

const functions = resources(template, 'AWS::Lambda::Function');
const byName = (name: string) => {
  const found = functions.find(([, r]) => r.Properties?.FunctionName === name);
  if (!found) throw new Error(`No function named ${name}.`);
  return found;
};
const [apiFunctionId, apiFunction] = byName('HelloVpcLambda-myHelloVPCLambda');
const [inspectorId, inspector] = byName('HelloVpcLambda-efs-inspector');
const inspectorRoleId = inspector.Properties?.Role['Fn::GetAtt'][0];
const apiRoleId = apiFunction.Properties?.Role['Fn::GetAtt'][0];
const [fileSystemId, fileSystem] = onlyResource(template, 'AWS::EFS::FileSystem');
const [accessPointId] = onlyResource(template, 'AWS::EFS::AccessPoint');

describe('inspector', () => {
  it('is a second function, HelloVpcLambda-efs-inspector, with its own bundle and role', () => {
    expect(functions).toHaveLength(2);
    expect(inspector.Metadata?.['aws:asset:path']).not.toEqual(apiFunction.Metadata?.['aws:asset:path']);
    expect(inspectorRoleId).not.toEqual(apiRoleId);
  });

  it('runs like the API function: same runtime, size, VPC, lambda-sg, mount and environment', () => {
    for (const property of ['Handler', 'Runtime', 'Architectures', 'MemorySize', 'Timeout', 'VpcConfig', 'FileSystemConfigs', 'Environment']) {
      expect(inspector.Properties?.[property], property).toEqual(apiFunction.Properties?.[property]);
    }
    expect(inspector.Properties?.VpcConfig.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [securityGroupId(template, 'lambda-sg'), 'GroupId'] }]);
  });

  it('has no HTTP route and no invoke permission for API Gateway', () => {
    const [, integration] = onlyResource(template, 'AWS::ApiGatewayV2::Integration');
    expect(integration.Properties?.IntegrationUri).toEqual({ 'Fn::GetAtt': [apiFunctionId, 'Arn'] });
    for (const [, permission] of resources(template, 'AWS::Lambda::Permission')) {
      expect(permission.Properties?.FunctionName).toEqual({ 'Fn::GetAtt': [apiFunctionId, 'Arn'] });
    }
  });

  it("lets the inspector's role only mount, on this file system, through this access point", () => {
    const policies = resources(template, 'AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p.Properties?.Roles) === JSON.stringify([{ Ref: inspectorRoleId }]));
    expect(policies.map(([, p]) => p.Properties?.PolicyDocument.Statement)).toEqual([
      [
        {
          Effect: 'Allow',
          Action: 'elasticfilesystem:ClientMount',
          Resource: { 'Fn::GetAtt': [fileSystemId, 'Arn'] },
          Condition: { StringEquals: { 'elasticfilesystem:AccessPointArn': accessPointArn(accessPointId) } },
        },
      ],
    ]);
  });

  it('has a file system policy that allows nothing and names no principal, so no fresh role can fail PutFileSystemPolicy', () => {
    const policy = fileSystem.Properties?.FileSystemPolicy;
    expect(policy.Statement.map((s: PolicyStatement) => s.Effect)).toEqual(['Deny', 'Deny']);
    for (const statement of policy.Statement) expect(statement.Principal).toEqual({ AWS: '*' });
    expect(JSON.stringify(policy)).not.toMatch(/Fn::GetAtt|"Ref"/);
  });

  describe('what EFS lets each role do (the policies evaluated as EFS evaluates them)', () => {
    const policyOf = (roleId: string) =>
      resources(template, 'AWS::IAM::Policy')
        .filter(([, p]) => JSON.stringify(p.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]))
        .flatMap(([, p]) => p.Properties?.PolicyDocument.Statement as PolicyStatement[]);
    const fileSystemArn = { 'Fn::GetAtt': [fileSystemId, 'Arn'] };
    /** How Lambda connects: through a mount target, with TLS, through the function's access point. */
    const LAMBDA_MOUNT = {
      'elasticfilesystem:AccessedViaMountTarget': 'true',
      'aws:SecureTransport': 'true',
      'elasticfilesystem:AccessPointArn': accessPointArn(accessPointId),
    };
    const decide = (identity: PolicyStatement[], action: string, context: Record<string, unknown> = LAMBDA_MOUNT, policy = fileSystem.Properties?.FileSystemPolicy) =>
      efsClientDecision(policy, fileSystemArn, { action, identity, context });
    const [MOUNT, WRITE, ROOT] = ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite', 'elasticfilesystem:ClientRootAccess'];

    it('lets the API function read and write, without root access', () => {
      expect([MOUNT, WRITE, ROOT].map((a) => decide(policyOf(apiRoleId), a))).toEqual(['allow', 'allow', 'implicit deny']);
    });

    it('lets the inspector mount read-only: no ClientWrite, no root access', () => {
      expect([MOUNT, WRITE, ROOT].map((a) => decide(policyOf(inspectorRoleId), a))).toEqual(['allow', 'implicit deny', 'implicit deny']);
    });

    it('denies even the API function without TLS or outside a mount target', () => {
      expect(decide(policyOf(apiRoleId), WRITE, { ...LAMBDA_MOUNT, 'aws:SecureTransport': 'false' })).toBe('deny');
      expect(decide(policyOf(apiRoleId), MOUNT, { ...LAMBDA_MOUNT, 'elasticfilesystem:AccessedViaMountTarget': 'false' })).toBe('deny');
    });

    it('lets the API function mount only through its own access point', () => {
      expect(decide(policyOf(apiRoleId), MOUNT, { ...LAMBDA_MOUNT, 'elasticfilesystem:AccessPointArn': 'arn:aws:elasticfilesystem:eu-west-1:123456789012:access-point/fsap-other' })).toBe('implicit deny');
    });

    it('gives a client without IAM nothing', () => {
      expect([MOUNT, WRITE, ROOT].map((a) => decide([], a))).toEqual(['implicit deny', 'implicit deny', 'implicit deny']);
    });

    it("would have let the inspector write under CDK's default policy, which this stack replaces", () => {
      const cdkDefault = {
        Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: [WRITE, ROOT], Condition: { Bool: { 'elasticfilesystem:AccessedViaMountTarget': 'true' } } }],
      } as const;
      expect(decide(policyOf(inspectorRoleId), WRITE, LAMBDA_MOUNT, cdkDefault)).toBe('allow');
    });
  });

  it('is created only after both mount targets exist', () => {
    const mountTargetIds = resources(template, 'AWS::EFS::MountTarget').map(([id]) => id);
    expect(inspector.DependsOn).toEqual(expect.arrayContaining(mountTargetIds));
  });

  it('adds the InspectorFunctionName output', () => {
    expect(template.toJSON().Outputs.InspectorFunctionName.Value).toEqual({ Ref: inspectorId });
  });

  it('has no circular dependency between resources', () => {
    // Template checks for cycles, which CDK does not catch within a stack and CloudFormation rejects.
    expect(() => Template.fromJSON(template.toJSON())).not.toThrow();
  });
});
