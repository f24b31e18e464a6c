import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { createApp } from './create-app.ts';
import { accessPointArn, onlyResource, resources, securityGroupId } from './test-support.ts';

// One synthesis for the whole file: it bundles both handlers with esbuild.
const { stack } = createApp({ inspector: true });
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

  it("denies ClientWrite and ClientRootAccess to the inspector's role in the file system policy", () => {
    expect(fileSystem.Properties?.FileSystemPolicy.Statement).toContainEqual({
      Effect: 'Deny',
      Principal: { AWS: { 'Fn::GetAtt': [inspectorRoleId, 'Arn'] } },
      Action: ['elasticfilesystem:ClientWrite', 'elasticfilesystem:ClientRootAccess'],
    });
  });

  it('keeps the default allow as the only other file system statement, so the API function can still write', () => {
    const others = fileSystem.Properties?.FileSystemPolicy.Statement.filter((s: { Effect: string }) => s.Effect !== 'Deny');
    expect(others).toEqual([
      {
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['elasticfilesystem:ClientWrite', 'elasticfilesystem:ClientRootAccess'],
        Condition: { Bool: { 'elasticfilesystem:AccessedViaMountTarget': 'true' } },
      },
    ]);
    expect(fileSystem.Properties?.FileSystemPolicy.Statement).toHaveLength(2);
  });

  it('is created only after both mount targets exist', () => {
    const mountTargetIds = resources(template, 'AWS::EFS::MountTarget').map(([id]) => id);
    expect(inspector.DependsOn).toEqual(expect.arrayContaining(mountTargetIds));
  });

  it('adds the InspectorFunctionName output', () => {
    expect(template.toJSON().Outputs.InspectorFunctionName.Value).toEqual({ Ref: inspectorId });
  });

  it('has no circular dependency, although the file system policy names the role that names the file system', () => {
    // Template checks for cycles, which CDK does not catch within a stack and CloudFormation rejects.
    expect(() => Template.fromJSON(template.toJSON())).not.toThrow();
  });
});
