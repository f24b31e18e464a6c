import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HANDLER_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'handler');
const MOUNT_PATH = '/mnt/msg';

export interface HelloVpcLambdaStackProps extends StackProps {
  /**
   * Deploy the read-only inspector function, for test stacks on real AWS.
   * @default false
   */
  readonly inspector?: boolean;
}

/** The console walkthrough "HTTP API → Lambda in a VPC → EFS", resource for resource. */
export class HelloVpcLambdaStack extends Stack {
  constructor(scope: Construct, id: string, props: HelloVpcLambdaStackProps = {}) {
    super(scope, id, props);
    const functionName = `${this.stackName}-myHelloVPCLambda`;
    if (functionName.length > 64) {
      throw new Error(`Stack name "${this.stackName}" is too long: the function name "${functionName}" exceeds Lambda's 64 characters.`);
    }

    // Nothing here needs the internet: isolated subnets, no NAT gateway.
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });
    const lambdaSg = new ec2.SecurityGroup(this, 'LambdaSg', { vpc, securityGroupName: 'lambda-sg', allowAllOutbound: false, description: 'lambda-sg' });
    const efsSg = new ec2.SecurityGroup(this, 'EfsSg', { vpc, securityGroupName: 'efs-sg', allowAllOutbound: false, description: 'efs-sg' });
    lambdaSg.connections.allowTo(efsSg, ec2.Port.tcp(2049), 'NFS to efs-sg');

    const fileSystem = new efs.FileSystem(this, 'MyFileSystem', {
      vpc,
      fileSystemName: 'MyFileSystem',
      encrypted: true,
      removalPolicy: RemovalPolicy.DESTROY,
      securityGroup: efsSg,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    });
    const accessPoint = fileSystem.addAccessPoint('HelloFuncAp', {
      path: '/lambda',
      posixUser: { uid: '1001', gid: '1001' },
      createAcl: { ownerUid: '1001', ownerGid: '1001', permissions: '750' },
    });
    accessPoint.node.defaultChild && (accessPoint.node.defaultChild as efs.CfnAccessPoint).addPropertyOverride('AccessPointTags', [{ Key: 'Name', Value: 'hello-func-ap' }]);

    const fn = this.vpcFunction('MyHelloVPCLambda', functionName, 'index.ts', vpc, lambdaSg, accessPoint);
    const integration = new HttpLambdaIntegration('LambdaIntegration', fn);
    const api = new HttpApi(this, 'Api', { apiName: 'myHelloVPCLambdaAPI', createDefaultStage: true });
    const routes: [string, HttpMethod][] = [
      ['/myHelloVPCLambda', HttpMethod.ANY],
      ['/messages', HttpMethod.POST],
      ['/messages', HttpMethod.GET],
      ['/messages/{id}', HttpMethod.GET],
      ['/health', HttpMethod.GET],
    ];
    for (const [routePath, method] of routes) api.addRoutes({ path: routePath, methods: [method], integration });

    new CfnOutput(this, 'ApiUrl', { value: api.url ?? '' });
    new CfnOutput(this, 'ApiId', { value: api.apiId });
    new CfnOutput(this, 'FunctionName', { value: fn.functionName });
    new CfnOutput(this, 'FileSystemId', { value: fileSystem.fileSystemId });
    new CfnOutput(this, 'AccessPointId', { value: accessPoint.accessPointId });
    new CfnOutput(this, 'MountPath', { value: MOUNT_PATH });

    if (props.inspector) {
      const inspector = this.vpcFunction('EfsInspector', `${this.stackName}-efs-inspector`, 'inspector.ts', vpc, lambdaSg, accessPoint);
      // Read-only: the file system policy denies writes to the inspector's role (an explicit deny wins over
      // the ClientWrite that fromEfsAccessPoint grants).
      fileSystem.addToResourcePolicy(
        new iam.PolicyStatement({
          effect: iam.Effect.DENY,
          principals: [new iam.ArnPrincipal(inspector.role!.roleArn)],
          actions: ['elasticfilesystem:ClientWrite', 'elasticfilesystem:ClientRootAccess'],
          resources: ['*'],
        }),
      );
      new CfnOutput(this, 'InspectorFunctionName', { value: inspector.functionName });
    }
  }

  private vpcFunction(
    id: string,
    functionName: string,
    entry: string,
    vpc: ec2.IVpc,
    securityGroup: ec2.ISecurityGroup,
    accessPoint: efs.AccessPoint,
  ): NodejsFunction {
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole')],
    });
    const fn = new NodejsFunction(this, id, {
      functionName,
      entry: path.join(HANDLER_DIR, entry),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.X86_64,
      memorySize: 256,
      timeout: Duration.seconds(10),
      role,
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [securityGroup],
      filesystem: lambda.FileSystem.fromEfsAccessPoint(accessPoint, MOUNT_PATH),
      environment: { EFS_MOUNT_PATH: MOUNT_PATH, NODE_OPTIONS: '--enable-source-maps' },
      logGroup: new logs.LogGroup(this, `${id}Logs`, { retention: logs.RetentionDays.ONE_WEEK, removalPolicy: RemovalPolicy.DESTROY }),
      bundling: { format: OutputFormat.ESM, target: 'node24', sourceMap: true, minify: false, forceDockerBundling: false },
    });
    return fn;
  }
}
