import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, Fn, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { HOT_RELOAD_BUCKET } from './hot-reload.ts';

export interface HelloVpcLambdaStackProps extends StackProps {
  /**
   * Deploy the read-only inspector function, for test stacks on real AWS, where EFS can only be read from
   * inside the VPC.
   *
   * @default false
   */
  readonly inspector?: boolean;
  /**
   * Throttling of the HTTP API's `$default` stage: a forgotten or long-lived stack cannot be driven at
   * Lambda's full concurrency to fill the file system.
   *
   * @default DEFAULT_THROTTLE - room for the scenarios (100 writes at once) and little more
   */
  readonly throttle?: apigwv2.ThrottleSettings;
  /**
   * Reserved concurrency of the API function: the most instances that can write at once.
   *
   * @default - none: reserving takes concurrency from the account's unreserved pool, which Lambda keeps
   * at a minimum of its own, so on a new account with a low quota any reservation fails the deploy
   */
  readonly reservedConcurrency?: number;
  /**
   * LocalStack hot reloading: each function's code is the host folder `<hotReloadDir>/<function name without
   * the stack prefix>` instead of the uploaded bundle (LocalStack's magic bucket `hot-reload` with the folder's
   * absolute path as key; docs.localstack.cloud "Hot Reloading"). LocalStack only: AWS has no such bucket.
   *
   * @default - the bundle is uploaded as an asset, as on AWS
   */
  readonly hotReloadDir?: string;
}

/** Steady-state requests per second and the bucket of a burst, for the `$default` stage. */
export const DEFAULT_THROTTLE = { rateLimit: 50, burstLimit: 200 } as const satisfies apigwv2.ThrottleSettings;

/** What an NFS client may do on the file system (EFS docs, "Using IAM to control access to file systems"). */
const CLIENT_ACTIONS = ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite', 'elasticfilesystem:ClientRootAccess'];

/** Where both functions see the file system. */
const MOUNT_PATH = '/mnt/msg';

/** Lambda's limit on function names. */
const MAX_FUNCTION_NAME_LENGTH = 64;

// Paths are resolved from this file, not the working directory, so that the harness can synthesize from anywhere.
const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * The console walkthrough "API Gateway HTTP API → Lambda in a VPC → EFS" as one stack: security groups
 * `lambda-sg` and `efs-sg`, file system `MyFileSystem` whose mount targets carry `efs-sg`, access point
 * `hello-func-ap`, function `myHelloVPCLambda` mounting it at `/mnt/msg`, HTTP API `myHelloVPCLambdaAPI`.
 */
export class HelloVpcLambdaStack extends Stack {
  private readonly hotReloadDir: string | undefined;

  constructor(scope: Construct, id: string, props: HelloVpcLambdaStackProps = {}) {
    super(scope, id, props);
    validateLimits(props);
    if (props.hotReloadDir !== undefined && !props.hotReloadDir.startsWith('/')) {
      throw new Error(`hotReloadDir "${props.hotReloadDir}" must be an absolute path: LocalStack mounts that host folder into the function.`);
    }
    this.hotReloadDir = props.hotReloadDir;

    // Isolated subnets only: the function talks to EFS inside the VPC and to nothing on the internet, so
    // there is no NAT gateway, no public subnet and no internet gateway to pay for or to leak through.
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
      // Restricting the default group takes a custom resource backed by another Lambda function; nothing in
      // this stack uses the default group (a test keeps it that way).
      restrictDefaultSecurityGroup: false,
    });
    const subnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };

    // Fixed names are safe: security group names only need to be unique within their VPC, one per stack.
    // With allowAllOutbound false CDK writes a "Disallow all traffic" placeholder (255.255.255.255/32, ICMP
    // 252-86: matches nothing) into a group that has no other egress rule, because EC2 gives a group created
    // without egress rules an allow-all rule. efs-sg keeps that placeholder; lambda-sg loses it to its
    // TCP 2049 rule, whose standalone SecurityGroupEgress replaces EC2's default rule.
    const lambdaSg = new ec2.SecurityGroup(this, 'LambdaSecurityGroup', {
      vpc,
      securityGroupName: 'lambda-sg',
      description: 'myHelloVPCLambda: NFS to efs-sg only',
      allowAllOutbound: false,
    });
    const efsSg = new ec2.SecurityGroup(this, 'EfsSecurityGroup', {
      vpc,
      securityGroupName: 'efs-sg',
      description: 'MyFileSystem mount targets: NFS from lambda-sg only',
      allowAllOutbound: false,
    });
    // Mounting the file system asks for this same rule pair again for each function; CDK names rules after
    // their peer and port, so each is created once.
    lambdaSg.connections.allowTo(efsSg, ec2.Port.tcp(efs.FileSystem.DEFAULT_PORT), 'NFS from lambda-sg to efs-sg');

    const fileSystem = new efs.FileSystem(this, 'FileSystem', {
      vpc,
      vpcSubnets: subnets,
      // The console's classic mistake is leaving mount targets on the VPC's default group.
      securityGroup: efsSg,
      fileSystemName: 'MyFileSystem',
      encrypted: true,
      removalPolicy: RemovalPolicy.DESTROY,
      fileSystemPolicy: clientGuardPolicy(),
      // Only so that CDK does not add its own statement, which would allow ClientWrite and ClientRootAccess to
      // every principal that mounts through a mount target (the inspector included). Anonymous clients still
      // get nothing: with a policy of ours in effect, EFS's default "full access to anyone" no longer applies,
      // and no statement below allows anything.
      allowAnonymousAccess: true,
    });

    const accessPoint = fileSystem.addAccessPoint('AccessPoint', {
      path: '/lambda',
      posixUser: { uid: '1001', gid: '1001' },
      createAcl: { ownerUid: '1001', ownerGid: '1001', permissions: '750' },
    });
    Tags.of(accessPoint).add('Name', 'hello-func-ap');

    const mountStatement = (actions: string[]) =>
      new iam.PolicyStatement({
        actions,
        resources: [fileSystem.fileSystemArn],
        conditions: { StringEquals: { 'elasticfilesystem:AccessPointArn': accessPoint.accessPointArn } },
      });

    const fn = this.vpcFunction('HelloFunction', {
      name: 'myHelloVPCLambda',
      entry: 'handler/index.ts',
      vpc,
      subnets,
      securityGroup: lambdaSg,
      accessPoint,
      mountPolicy: mountStatement(['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite']),
      ...(props.reservedConcurrency === undefined ? {} : { reservedConcurrency: props.reservedConcurrency }),
    });

    // One integration for every route: the function dispatches on the route key itself.
    const integration = new HttpLambdaIntegration('HelloIntegration', fn.function, {
      payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
    });
    const api = new apigwv2.HttpApi(this, 'HttpApi', {
      apiName: 'myHelloVPCLambdaAPI',
      // HttpApiProps has no throttling for the stage it creates: the same `$default` stage (same construct id,
      // so the same logical id) is added below with it.
      createDefaultStage: false,
    });
    const stage = api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? DEFAULT_THROTTLE,
    });
    const { ANY, GET, POST } = apigwv2.HttpMethod;
    api.addRoutes({ path: '/myHelloVPCLambda', methods: [ANY], integration });
    api.addRoutes({ path: '/messages', methods: [POST, GET], integration });
    api.addRoutes({ path: '/messages/{id}', methods: [GET], integration });
    api.addRoutes({ path: '/health', methods: [GET], integration });

    new CfnOutput(this, 'ApiUrl', { value: stage.url, description: 'URL of the $default stage' });
    new CfnOutput(this, 'ApiId', { value: api.apiId });
    new CfnOutput(this, 'FunctionName', { value: fn.function.functionName });
    new CfnOutput(this, 'FileSystemId', { value: fileSystem.fileSystemId });
    new CfnOutput(this, 'AccessPointId', { value: accessPoint.accessPointId });
    new CfnOutput(this, 'MountPath', { value: MOUNT_PATH });

    if (props.inspector) {
      const inspector = this.vpcFunction('InspectorFunction', {
        name: 'efs-inspector',
        entry: 'handler/inspector.ts',
        vpc,
        subnets,
        securityGroup: lambdaSg,
        accessPoint,
        mountPolicy: mountStatement(['elasticfilesystem:ClientMount']),
      });
      new CfnOutput(this, 'InspectorFunctionName', { value: inspector.function.functionName });
    }
  }

  /**
   * The first two zones as `Fn::GetAZs` tokens, as CDK writes them for a stack without an environment. A stack
   * bound to an account and region would look its zones up through the CDK CLI instead, which the harness's
   * in-process synthesis cannot do: it would get CDK's placeholder zones. aws-cdk-lib documents overriding
   * this getter to choose zones differently.
   */
  override get availabilityZones(): string[] {
    return [Fn.select(0, Fn.getAzs()), Fn.select(1, Fn.getAzs())];
  }

  /** A NodejsFunction in the VPC's isolated subnets that mounts the access point at `/mnt/msg`. */
  private vpcFunction(id: string, options: VpcFunctionOptions): { function: NodejsFunction; role: iam.Role } {
    // Lambda names are unique per region: the stack-name prefix keeps parallel test stacks apart.
    const functionName = `${this.stackName}-${options.name}`;
    if (functionName.length > MAX_FUNCTION_NAME_LENGTH) {
      const maxStackName = MAX_FUNCTION_NAME_LENGTH - options.name.length - 1;
      throw new Error(
        `Function name "${functionName}" has ${functionName.length} characters, Lambda allows ${MAX_FUNCTION_NAME_LENGTH}: ` +
          `stack name "${this.stackName}" is too long, use at most ${maxStackName} characters.`,
      );
    }

    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      // Includes the basic execution permissions (CloudWatch Logs) besides the VPC network interfaces.
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole')],
    });
    // The role's identity policy decides what the function may do on the file system: the file system policy
    // grants nothing (see clientGuardPolicy). CDK makes the function depend on this policy.
    role.addToPrincipalPolicy(options.mountPolicy);

    const fn = new NodejsFunction(this, id, {
      functionName,
      entry: `${PROJECT_ROOT}${options.entry}`,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      runtime: lambda.Runtime.NODEJS_24_X,
      // x86_64 because LocalStack runs arm64 functions only on arm64 hosts or under emulation.
      architecture: lambda.Architecture.X86_64,
      memorySize: 256,
      timeout: Duration.seconds(10),
      ...(options.reservedConcurrency === undefined ? {} : { reservedConcurrentExecutions: options.reservedConcurrency }),
      vpc: options.vpc,
      vpcSubnets: options.subnets,
      securityGroups: [options.securityGroup],
      // fromEfsAccessPoint also makes the function wait for the mount targets and the NFS rules.
      filesystem: lambda.FileSystem.fromEfsAccessPoint(options.accessPoint, MOUNT_PATH),
      // The role's policy is exactly what is written above: fromEfsAccessPoint would also grant ClientMount
      // on "*" and ClientWrite without the access point condition, so CDK may not add to it.
      role: role.withoutPolicyUpdates(),
      logGroup: new logs.LogGroup(this, `${id}Logs`, {
        logGroupName: `/aws/lambda/${functionName}`,
        retention: logs.RetentionDays.ONE_WEEK,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
      environment: { EFS_MOUNT_PATH: MOUNT_PATH, NODE_OPTIONS: '--enable-source-maps' },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        sourceMap: true,
        minify: false,
        forceDockerBundling: false,
      },
    });
    if (this.hotReloadDir) {
      // NodejsFunction always bundles into an asset; the escape hatch points the function at the folder instead.
      (fn.node.defaultChild as lambda.CfnFunction).addPropertyOverride('Code', {
        S3Bucket: HOT_RELOAD_BUCKET,
        S3Key: `${this.hotReloadDir.replace(/\/+$/, '')}/${options.name}`,
      });
    }
    return { function: fn, role };
  }
}

interface VpcFunctionOptions {
  /** Function name without the stack-name prefix. */
  readonly name: string;
  /** Handler source relative to the project root; it exports `handler`. */
  readonly entry: string;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly accessPoint: efs.IAccessPoint;
  /** The role's only EFS statement. */
  readonly mountPolicy: iam.PolicyStatement;
  /** @default - unreserved */
  readonly reservedConcurrency?: number;
}

/**
 * The file system policy: it allows nothing and names no principal, it only denies every client that comes
 * without a mount target or without TLS. What a function may do is then decided by its role's identity
 * policy alone, since EFS allows an action that *either* the identity policy *or* the file system policy
 * allows, and an explicit deny in either wins (EFS docs, "Using IAM to control access to file systems";
 * IAM policy evaluation logic, same-account requests). So the API function's role (ClientMount + ClientWrite)
 * reads and writes, the inspector's role (ClientMount only) mounts read-only, and no role gets
 * ClientRootAccess. Naming no principal matters: EFS's PutFileSystemPolicy has rejected roles created
 * moments earlier in the same deploy as invalid principals (terraform-provider-aws #21716, retried in #21734),
 * which made a first deploy roll back now and then. Lambda mounts through a mount target and encrypts the
 * traffic (Lambda docs, "Using Amazon EFS with Lambda": "Lambda manages the connection and encrypts all
 * traffic"), so both denies pass the functions.
 */
function clientGuardPolicy(): iam.PolicyDocument {
  const deny = (sid: string, condition: Record<string, string>) =>
    new iam.PolicyStatement({ sid, effect: iam.Effect.DENY, principals: [new iam.AnyPrincipal()], actions: CLIENT_ACTIONS, conditions: { Bool: condition } });
  return new iam.PolicyDocument({
    statements: [
      deny('DenyClientsNotUsingAMountTarget', { 'elasticfilesystem:AccessedViaMountTarget': 'false' }),
      deny('DenyClientsWithoutTls', { 'aws:SecureTransport': 'false' }),
    ],
  });
}

/** Rejects limits that API Gateway or Lambda would reject later, during the deploy. */
function validateLimits(props: HelloVpcLambdaStackProps): void {
  const { rateLimit, burstLimit } = props.throttle ?? DEFAULT_THROTTLE;
  if (rateLimit !== undefined && !(rateLimit > 0)) throw new Error(`throttle.rateLimit ${rateLimit} must be a positive number of requests per second.`);
  if (burstLimit !== undefined && !(Number.isInteger(burstLimit) && burstLimit > 0)) {
    throw new Error(`throttle.burstLimit ${burstLimit} must be a positive whole number of requests.`);
  }
  const reserved = props.reservedConcurrency;
  if (reserved !== undefined && !(Number.isInteger(reserved) && reserved >= 1)) {
    throw new Error(`reservedConcurrency ${reserved} must be a whole number of at least 1 (0 would stop the function from running at all).`);
  }
}
