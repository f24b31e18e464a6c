import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CfnTemplate, type PatternModel, synthesize } from '../../model/assembly.ts';
import { bridgeOnlyTemplate, danglingReferences, referencedIds } from './bridge-only.ts';
import { writeVariantAssembly } from './variant-assembly.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'bridge-only-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let model: PatternModel;
beforeAll(async () => {
  model = await synthesize({ stackName: 'HelloVpcLambda', outdir: path.join(root, 'cdk.out') });
}, 120_000);

/** Every string in a value, to look for names of what was removed. */
const text = (value: unknown) => JSON.stringify(value);

describe('referencedIds', () => {
  it('should find Ref, both Fn::GetAtt forms and Fn::Sub placeholders, but not pseudo parameters, literals or Sub variables', () => {
    const value = {
      a: { Ref: 'Fs' },
      b: { 'Fn::GetAtt': ['Ap', 'Arn'] },
      c: { 'Fn::GetAtt': 'Mt.IpAddress' },
      d: { 'Fn::Sub': 'arn:${AWS::Partition}:elasticfilesystem:${AWS::Region}:${AWS::AccountId}:file-system/${Fs2}/${Ap2.Arn}/${!Literal}' },
      e: { 'Fn::Sub': ['${Own}-${Fs3}', { Own: { Ref: 'Role' } }] },
      f: { Ref: 'AWS::StackName' },
    };
    expect([...referencedIds(value)].sort()).toEqual(['Ap', 'Ap2', 'Fs', 'Fs2', 'Fs3', 'Mt', 'Role']);
  });
});

describe('bridgeOnlyTemplate on the synthesized stack', () => {
  it('should leave out every AWS::EFS::* resource and reference nothing it removed (Ref, GetAtt, Sub, DependsOn, outputs)', () => {
    const { template } = bridgeOnlyTemplate(model.template);
    expect(Object.values(template.Resources).filter((r) => r.Type.startsWith('AWS::EFS::'))).toEqual([]);
    expect(danglingReferences(template)).toEqual([]);
    // The checker can fail: the full template minus its file system has dangling references.
    const broken = structuredClone(model.template) as CfnTemplate & { Resources: Record<string, unknown> };
    delete broken.Resources.FileSystem8A8E25C0;
    expect(danglingReferences(broken)).toContain('FileSystemEfsMountTargetIsolatedSubnet12951F529 refers to FileSystem8A8E25C0');
  });

  it("should drop the function's FileSystemConfigs and its EFS IAM statement, and keep the function, its role, VPC and API", () => {
    const { template } = bridgeOnlyTemplate(model.template);
    const fn = template.Resources.HelloFunctionD909AE8C!;
    expect(fn.Properties).not.toHaveProperty('FileSystemConfigs');
    expect(fn.Properties).toHaveProperty('VpcConfig');
    expect(fn.Properties?.Environment).toEqual(model.template.Resources.HelloFunctionD909AE8C!.Properties?.Environment);
    expect(text(template)).not.toMatch(/elasticfilesystem:Client/);
    expect(text(template)).not.toContain('FileSystemAccessPointF8178182');
    for (const kept of ['HelloFunctionRoleDCB4E51B', 'LambdaSecurityGroup0BD9FC99', 'EfsSecurityGroupEC5F36AC', 'HttpApiF5A9A8A7', 'HttpApiGEThealthAB1F4856']) {
      expect(template.Resources).toHaveProperty(kept);
    }
    const routes = (t: CfnTemplate) => Object.values(t.Resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Route').length;
    expect(routes(template)).toBe(routes(model.template));
    expect(Object.keys(template.Outputs ?? {}).sort()).toEqual(['ApiId', 'ApiUrl', 'FunctionName', 'MountPath']);
  });

  it('should say what it left out and why, one line each', () => {
    expect(bridgeOnlyTemplate(model.template).leftOut).toEqual([
      'FileSystem8A8E25C0 (AWS::EFS::FileSystem): the EFS API is not available; LocalStack never mounts EFS anyway (the bridge stands in)',
      'FileSystemEfsMountTargetIsolatedSubnet12951F529 (AWS::EFS::MountTarget): the EFS API is not available; LocalStack never mounts EFS anyway (the bridge stands in)',
      'FileSystemEfsMountTargetIsolatedSubnet20DA84AC1 (AWS::EFS::MountTarget): the EFS API is not available; LocalStack never mounts EFS anyway (the bridge stands in)',
      'FileSystemAccessPointF8178182 (AWS::EFS::AccessPoint): the EFS API is not available; LocalStack never mounts EFS anyway (the bridge stands in)',
      'IAM statement ["elasticfilesystem:ClientMount","elasticfilesystem:ClientWrite"] of HelloFunctionRoleDefaultPolicyA4E7B971: names FileSystemAccessPointF8178182, FileSystem8A8E25C0',
      'HelloFunctionRoleDefaultPolicyA4E7B971 (AWS::IAM::Policy): all of its statements named removed resources',
      'FileSystemConfigs of HelloFunctionD909AE8C (mount at /mnt/msg): refers to FileSystemAccessPointF8178182; the EFS bridge mounts the folder instead',
      'output FileSystemId: refers to FileSystem8A8E25C0',
      'output AccessPointId: refers to FileSystemAccessPointF8178182',
    ]);
  });

  it('should not change the template it was given', () => {
    const before = text(model.template);
    bridgeOnlyTemplate(model.template);
    expect(text(model.template)).toBe(before);
  });
});

describe('bridgeOnlyTemplate on hand-written forms', () => {
  it('should keep the other statements of a policy, remove what refers to a removed resource transitively, and clean DependsOn', () => {
    const full: CfnTemplate = {
      Resources: {
        Fs: { Type: 'AWS::EFS::FileSystem' },
        Policy: {
          Type: 'AWS::IAM::Policy',
          Properties: {
            PolicyDocument: {
              Statement: [
                { Action: 'elasticfilesystem:ClientMount', Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:elasticfilesystem:${AWS::Region}:${AWS::AccountId}:file-system/${Fs}' } },
                { Action: 's3:GetObject', Resource: '*' },
              ],
            },
          },
        },
        Alarm: { Type: 'AWS::CloudWatch::Alarm', Properties: { Dimensions: [{ Name: 'FileSystemId', Value: { Ref: 'Fs' } }] } },
        AlarmTopic: { Type: 'AWS::SNS::Topic', Properties: { DisplayName: { 'Fn::GetAtt': 'Alarm.Arn' } } },
        Fn: { Type: 'AWS::Lambda::Function', DependsOn: ['Fs', 'Policy'], Properties: { Role: 'r' } },
      },
      Outputs: { Topic: { Value: { Ref: 'AlarmTopic' } }, Fn: { Value: { Ref: 'Fn' } } },
    };
    const { template, leftOut } = bridgeOnlyTemplate(full);
    expect(Object.keys(template.Resources)).toEqual(['Policy', 'Fn']);
    expect((template.Resources.Policy!.Properties!.PolicyDocument as { Statement: unknown[] }).Statement).toEqual([{ Action: 's3:GetObject', Resource: '*' }]);
    expect(template.Resources.Fn!.DependsOn).toEqual(['Policy']);
    expect(Object.keys(template.Outputs!)).toEqual(['Fn']);
    expect(leftOut).toContain('Alarm (AWS::CloudWatch::Alarm): refers to Fs');
    expect(leftOut).toContain('AlarmTopic (AWS::SNS::Topic): refers to Alarm');
    expect(danglingReferences(template)).toEqual([]);
  });
});

describe('writeVariantAssembly', () => {
  it('should write a cloud assembly whose template asset is named by the new template, so the CLI uploads and deploys the variant', () => {
    const variant = bridgeOnlyTemplate(model.template).template;
    const outdir = path.join(root, 'variant');
    const deployed = writeVariantAssembly(model, variant, outdir);
    const raw = readFileSync(deployed.templatePath, 'utf8');
    const hash = createHash('sha256').update(raw).digest('hex');
    expect(deployed).toMatchObject({ assemblyDir: outdir, hash, stackName: model.stackName, routes: model.routes });
    expect(hash).not.toBe(model.hash);
    expect(JSON.parse(raw)).toEqual(variant);
    const manifest = readFileSync(path.join(outdir, 'manifest.json'), 'utf8');
    const assets = JSON.parse(readFileSync(path.join(outdir, 'HelloVpcLambda.assets.json'), 'utf8')) as { files: Record<string, { source: { path: string } }> };
    expect(manifest).toContain(`${hash}.json`);
    expect(manifest).not.toContain(model.hash);
    expect(assets.files[hash]!.source.path).toBe('HelloVpcLambda.template.json');
    // The function's code is there too, unchanged.
    const code = Object.values(assets.files).find((f) => f.source.path.startsWith('asset.'))!.source.path;
    expect(readFileSync(path.join(outdir, code, 'index.mjs'))).toEqual(readFileSync(path.join(model.assemblyDir, code, 'index.mjs')));
  });
});
