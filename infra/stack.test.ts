import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import { describe, expect, it } from 'vitest';
import { createApp } from './create-app.ts';
import { DEFAULT_THROTTLE } from './stack.ts';
import { CONCURRENT_WRITERS } from '../harness/targets/aws/concurrency.ts';
import { accessPointArn, expectMountTargetsOnlyOn, onlyResource, resources, scratchOutdir, securityGroupId } from './test-support.ts';

// One synthesis for the whole file: it bundles the handler with esbuild.
const outdir = scratchOutdir();
const { app, stack } = createApp({ outdir });
const template = Template.fromStack(stack);

const lambdaSgId = securityGroupId(template, 'lambda-sg');
const efsSgId = securityGroupId(template, 'efs-sg');
const [fileSystemId, fileSystem] = onlyResource(template, 'AWS::EFS::FileSystem');
const [accessPointId, accessPoint] = onlyResource(template, 'AWS::EFS::AccessPoint');
const [functionId, fn] = onlyResource(template, 'AWS::Lambda::Function');
const [roleId, role] = onlyResource(template, 'AWS::IAM::Role');
const subnetIds = resources(template, 'AWS::EC2::Subnet').map(([id]) => id);
const mountTargetIds = resources(template, 'AWS::EFS::MountTarget').map(([id]) => id);
const groupIdOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'GroupId'] });

/** What CDK writes into a group with allowAllOutbound: false and no egress rule; it matches no packet. */
const MATCH_NOTHING_EGRESS = {
  CidrIp: '255.255.255.255/32',
  Description: 'Disallow all traffic',
  IpProtocol: 'icmp',
  FromPort: 252,
  ToPort: 86,
};

const NFS_RULE = { IpProtocol: 'tcp', FromPort: 2049, ToPort: 2049, Description: 'NFS from lambda-sg to efs-sg' };

describe('stack', () => {
  it('is named HelloVpcLambda by default', () => {
    expect(stack.stackName).toBe('HelloVpcLambda');
  });

  it('has no circular dependency between resources', () => {
    // Template checks for cycles, which CDK does not catch within a stack and CloudFormation rejects.
    expect(() => Template.fromJSON(template.toJSON())).not.toThrow();
  });
});

describe('VPC', () => {
  it('has two isolated subnets in two availability zones', () => {
    expect(subnetIds).toHaveLength(2);
    const subnets = resources(template, 'AWS::EC2::Subnet').map(([, r]) => r.Properties!);
    expect(subnets.map((s) => s.AvailabilityZone)).toEqual([
      { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] },
      { 'Fn::Select': [1, { 'Fn::GetAZs': '' }] },
    ]);
    for (const subnet of subnets) {
      expect(subnet.MapPublicIpOnLaunch).toBe(false);
      expect(subnet.Tags).toContainEqual({ Key: 'aws-cdk:subnet-type', Value: 'Isolated' });
    }
  });

  it('has no NAT gateway, internet gateway or route out', () => {
    for (const type of ['AWS::EC2::NatGateway', 'AWS::EC2::InternetGateway', 'AWS::EC2::VPCGatewayAttachment', 'AWS::EC2::EIP', 'AWS::EC2::Route']) {
      template.resourceCountIs(type, 0);
    }
  });

  it('has exactly the two security groups lambda-sg and efs-sg', () => {
    expect(resources(template, 'AWS::EC2::SecurityGroup').map(([, r]) => r.Properties?.GroupName).sort()).toEqual(['efs-sg', 'lambda-sg']);
  });
});

describe('security groups', () => {
  const lambdaSg = template.toJSON().Resources[lambdaSgId];
  const efsSg = template.toJSON().Resources[efsSgId];
  const ingressRules = resources(template, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties);
  const egressRules = resources(template, 'AWS::EC2::SecurityGroupEgress').map(([, r]) => r.Properties);

  it('lets nothing into lambda-sg', () => {
    expect(lambdaSg.Properties.SecurityGroupIngress).toBeUndefined();
    expect(ingressRules.filter((r) => JSON.stringify(r?.GroupId) === JSON.stringify(groupIdOf(lambdaSgId)))).toEqual([]);
  });

  it('lets lambda-sg send TCP 2049 to efs-sg and nothing else', () => {
    // No inline rule: the standalone rule below is the group's only egress, and it replaces EC2's default.
    expect(lambdaSg.Properties.SecurityGroupEgress).toBeUndefined();
    expect(egressRules).toEqual([
      { GroupId: groupIdOf(lambdaSgId), DestinationSecurityGroupId: groupIdOf(efsSgId), ...NFS_RULE },
    ]);
  });

  it('lets only TCP 2049 from lambda-sg into efs-sg', () => {
    expect(efsSg.Properties.SecurityGroupIngress).toBeUndefined();
    expect(ingressRules).toEqual([{ GroupId: groupIdOf(efsSgId), SourceSecurityGroupId: groupIdOf(lambdaSgId), ...NFS_RULE }]);
  });

  it("keeps CDK's match-nothing placeholder as efs-sg's only egress rule, so EC2 adds no allow-all rule", () => {
    expect(efsSg.Properties.SecurityGroupEgress).toEqual([MATCH_NOTHING_EGRESS]);
  });
});

describe('file system', () => {
  it('is encrypted and deleted with the stack', () => {
    expect(fileSystem.Properties?.Encrypted).toBe(true);
    expect(fileSystem.DeletionPolicy).toBe('Delete');
    expect(fileSystem.UpdateReplacePolicy).toBe('Delete');
  });

  it('is named MyFileSystem', () => {
    expect(fileSystem.Properties?.FileSystemTags).toEqual([{ Key: 'Name', Value: 'MyFileSystem' }]);
  });

  it('has one mount target in each isolated subnet', () => {
    const mountTargets = resources(template, 'AWS::EFS::MountTarget').map(([, r]) => r.Properties!);
    expect(mountTargets.map((m) => m.SubnetId.Ref).sort()).toEqual([...subnetIds].sort());
    for (const m of mountTargets) expect(m.FileSystemId).toEqual({ Ref: fileSystemId });
  });

  it('puts every mount target on efs-sg and no other group', () => {
    expect(() => expectMountTargetsOnlyOn(template, 'efs-sg')).not.toThrow();
  });

  it('denies every client that comes without a mount target or without TLS, and allows nothing', () => {
    const CLIENT_ACTIONS = ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite', 'elasticfilesystem:ClientRootAccess'];
    expect(fileSystem.Properties?.FileSystemPolicy.Statement).toEqual([
      {
        Sid: 'DenyClientsNotUsingAMountTarget',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: CLIENT_ACTIONS,
        Condition: { Bool: { 'elasticfilesystem:AccessedViaMountTarget': 'false' } },
      },
      { Sid: 'DenyClientsWithoutTls', Effect: 'Deny', Principal: { AWS: '*' }, Action: CLIENT_ACTIONS, Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
    ]);
  });
});

describe('the mount target check (the console mistake)', () => {
  /** A file system whose mount targets get the groups that `groups` picks, next to a group named efs-sg. */
  function variant(groups: (vpc: ec2.Vpc, efsSg: ec2.SecurityGroup) => string[]): Template {
    const stack = new Stack(new App({ outdir: mkdtempSync(path.join(outdir, 'mistake-')) }), 'ConsoleMistake');
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
      restrictDefaultSecurityGroup: false,
    });
    const efsSg = new ec2.SecurityGroup(stack, 'EfsSecurityGroup', { vpc, securityGroupName: 'efs-sg', allowAllOutbound: false });
    const fs = new efs.FileSystem(stack, 'FileSystem', { vpc, securityGroup: efsSg });
    for (const child of fs.node.findAll()) {
      if (child instanceof efs.CfnMountTarget) child.securityGroups = groups(vpc, efsSg);
    }
    return Template.fromStack(stack);
  }

  it('rejects mount targets left on the VPC default security group', () => {
    const mistake = variant((vpc) => [vpc.vpcDefaultSecurityGroup]);
    expect(() => expectMountTargetsOnlyOn(mistake, 'efs-sg')).toThrow(/DefaultSecurityGroup/);
  });

  it('rejects mount targets that carry another group besides efs-sg', () => {
    const mistake = variant((vpc, efsSg) => [efsSg.securityGroupId, vpc.vpcDefaultSecurityGroup]);
    expect(() => expectMountTargetsOnlyOn(mistake, 'efs-sg')).toThrow(/expected only efs-sg/);
  });

  it('accepts the same variant with efs-sg alone, so the rejections above are about the groups', () => {
    const right = variant((_vpc, efsSg) => [efsSg.securityGroupId]);
    expect(() => expectMountTargetsOnlyOn(right, 'efs-sg')).not.toThrow();
  });
});

describe('access point', () => {
  it('belongs to the file system and is named hello-func-ap', () => {
    expect(accessPoint.Properties?.FileSystemId).toEqual({ Ref: fileSystemId });
    expect(accessPoint.Properties?.AccessPointTags).toEqual([{ Key: 'Name', Value: 'hello-func-ap' }]);
  });

  it('is rooted at /lambda and acts as POSIX user 1001:1001', () => {
    expect(accessPoint.Properties?.RootDirectory.Path).toBe('/lambda');
    expect(accessPoint.Properties?.PosixUser).toEqual({ Uid: '1001', Gid: '1001' });
  });

  it('creates its root directory owned by 1001:1001 with mode 750', () => {
    expect(accessPoint.Properties?.RootDirectory.CreationInfo).toEqual({ OwnerUid: '1001', OwnerGid: '1001', Permissions: '750' });
  });
});

describe('function', () => {
  it('is named after the stack: HelloVpcLambda-myHelloVPCLambda', () => {
    expect(fn.Properties?.FunctionName).toBe('HelloVpcLambda-myHelloVPCLambda');
  });

  it('runs handler index.handler on nodejs24.x, x86_64, with 256 MB for at most 10 s', () => {
    expect(fn.Properties).toMatchObject({
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Architectures: ['x86_64'],
      MemorySize: 256,
      Timeout: 10,
    });
  });

  it('runs in both isolated subnets with lambda-sg only', () => {
    expect(fn.Properties?.VpcConfig.SecurityGroupIds).toEqual([groupIdOf(lambdaSgId)]);
    expect(fn.Properties?.VpcConfig.SubnetIds.map((s: { Ref: string }) => s.Ref).sort()).toEqual([...subnetIds].sort());
  });

  it('mounts the access point at /mnt/msg', () => {
    const configs = fn.Properties?.FileSystemConfigs;
    expect(configs).toEqual([{ Arn: accessPointArn(accessPointId), LocalMountPath: '/mnt/msg' }]);
  });

  it('gets EFS_MOUNT_PATH=/mnt/msg and source maps, and no other variable', () => {
    expect(fn.Properties?.Environment.Variables).toEqual({ EFS_MOUNT_PATH: '/mnt/msg', NODE_OPTIONS: '--enable-source-maps' });
  });

  it('reserves no concurrency by default (a reservation fails on accounts with a low quota)', () => {
    expect(fn.Properties?.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('is created only after both mount targets and the NFS rules exist', () => {
    const nfsRules = [...resources(template, 'AWS::EC2::SecurityGroupIngress'), ...resources(template, 'AWS::EC2::SecurityGroupEgress')];
    expect(mountTargetIds).toHaveLength(2);
    expect(fn.DependsOn).toEqual(expect.arrayContaining([...mountTargetIds, ...nfsRules.map(([id]) => id)]));
  });

  it('logs to /aws/lambda/<function name> for a week, deleted with the stack', () => {
    const [logGroupId, logGroup] = onlyResource(template, 'AWS::Logs::LogGroup');
    expect(logGroup.Properties).toEqual({ LogGroupName: '/aws/lambda/HelloVpcLambda-myHelloVPCLambda', RetentionInDays: 7 });
    expect(logGroup.DeletionPolicy).toBe('Delete');
    expect(fn.Properties?.LoggingConfig).toEqual({ LogGroup: { Ref: logGroupId } });
  });

  it('ships the handler bundled as an ES module with its source map', () => {
    const assetDir = path.join(app.outdir, String(fn.Metadata?.['aws:asset:path']));
    expect(readFileSync(path.join(assetDir, 'index.mjs'), 'utf8')).toMatch(/^export\s*\{[^}]*\bhandler\b[^}]*\}/m);
    expect(existsSync(path.join(assetDir, 'index.mjs.map'))).toBe(true);
  });
});

describe('IAM', () => {
  it('gives the role AWSLambdaVPCAccessExecutionRole as its only managed policy', () => {
    expect(role.Properties?.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
    ]);
    expect(role.Properties?.ManagedPolicyArns).toEqual([
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole']] },
    ]);
    expect(fn.Properties?.Role).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
  });

  it('allows only ClientMount and ClientWrite, on this file system, through this access point', () => {
    expect(role.Properties?.Policies).toBeUndefined();
    const [policyId, policy] = onlyResource(template, 'AWS::IAM::Policy');
    expect(policy.Properties?.Roles).toEqual([{ Ref: roleId }]);
    expect(policy.Properties?.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
        Resource: { 'Fn::GetAtt': [fileSystemId, 'Arn'] },
        Condition: { StringEquals: { 'elasticfilesystem:AccessPointArn': accessPointArn(accessPointId) } },
      },
    ]);
    expect(fn.DependsOn).toContain(policyId);
  });
});

describe('HTTP API', () => {
  const routes = resources(template, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties!);

  it('is named myHelloVPCLambdaAPI', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { Name: 'myHelloVPCLambdaAPI', ProtocolType: 'HTTP' });
  });

  it('has exactly the five routes', () => {
    expect(routes.map((r) => r.RouteKey).sort()).toEqual([
      'ANY /myHelloVPCLambda',
      'GET /health',
      'GET /messages',
      'GET /messages/{id}',
      'POST /messages',
    ]);
  });

  it('sends every route to one Lambda proxy integration with payload format 2.0', () => {
    const [integrationId, integration] = onlyResource(template, 'AWS::ApiGatewayV2::Integration');
    expect(integration.Properties).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [functionId, 'Arn'] },
    });
    for (const route of routes) {
      expect(route.Target).toEqual({ 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] });
    }
  });

  it('auto-deploys the $default stage', () => {
    const [, stage] = onlyResource(template, 'AWS::ApiGatewayV2::Stage');
    expect(stage.Properties).toMatchObject({ StageName: '$default', AutoDeploy: true });
  });

  it('throttles the $default stage to 50 requests/s with bursts of 200, room for the 100 concurrent writers', () => {
    const [, stage] = onlyResource(template, 'AWS::ApiGatewayV2::Stage');
    expect(stage.Properties?.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: DEFAULT_THROTTLE.rateLimit, ThrottlingBurstLimit: DEFAULT_THROTTLE.burstLimit });
    expect(DEFAULT_THROTTLE.burstLimit).toBeGreaterThanOrEqual(CONCURRENT_WRITERS);
  });

  it('gives the ApiUrl output the $default stage URL, ending in a slash', () => {
    const [stageId] = onlyResource(template, 'AWS::ApiGatewayV2::Stage');
    expect(stageId).toMatch(/^HttpApiDefaultStage/);
    const [apiId] = onlyResource(template, 'AWS::ApiGatewayV2::Api');
    expect(template.toJSON().Outputs.ApiUrl.Value).toEqual({
      'Fn::Join': ['', ['https://', { Ref: apiId }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/']],
    });
  });

  it('lets API Gateway invoke the function on each route, and grants no other invoke', () => {
    const permissions = resources(template, 'AWS::Lambda::Permission').map(([, r]) => r.Properties!);
    for (const p of permissions) {
      expect(p).toMatchObject({
        Action: 'lambda:InvokeFunction',
        Principal: 'apigateway.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [functionId, 'Arn'] },
      });
    }
    // Source ARNs end in /<stage>/<method>/<path>: any stage and method, one route path each.
    const scopes = permissions.map((p) => p.SourceArn['Fn::Join'][1].at(-1));
    expect(scopes.sort()).toEqual(['/*/*/health', '/*/*/messages', '/*/*/messages', '/*/*/messages/{id}', '/*/*/myHelloVPCLambda']);
  });
});

describe('outputs', () => {
  const outputs = template.toJSON().Outputs;

  it('exports exactly ApiUrl, ApiId, FunctionName, FileSystemId, AccessPointId and MountPath', () => {
    expect(Object.keys(outputs).sort()).toEqual(['AccessPointId', 'ApiId', 'ApiUrl', 'FileSystemId', 'FunctionName', 'MountPath']);
  });

  it('points each output at its resource', () => {
    const [apiId] = onlyResource(template, 'AWS::ApiGatewayV2::Api');
    template.hasOutput('ApiUrl', {
      Value: { 'Fn::Join': ['', Match.arrayWith(['https://', { Ref: apiId }, '/'])] },
    });
    expect(outputs.ApiId.Value).toEqual({ Ref: apiId });
    expect(outputs.FunctionName.Value).toEqual({ Ref: functionId });
    expect(outputs.FileSystemId.Value).toEqual({ Ref: fileSystemId });
    expect(outputs.AccessPointId.Value).toEqual({ Ref: accessPointId });
    expect(outputs.MountPath.Value).toBe('/mnt/msg');
  });
});

describe('without inspector', () => {
  it('has one function and no inspector output', () => {
    template.resourceCountIs('AWS::Lambda::Function', 1);
    expect(template.toJSON().Outputs.InspectorFunctionName).toBeUndefined();
  });
});
