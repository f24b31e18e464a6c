import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { localstackHealth, OUTPUTS } from './localstack-fixtures.ts';

/**
 * A LocalStack on 127.0.0.1 for tests of the whole start (detection, EFS choice, checks, Active, /health),
 * answering in each API's wire format as LocalStack does. Every answer names its source; the community
 * source is localstack/localstack at commit 8b9a79f05846835cf4dff63ab7eefdde9df83783 (23 March 2026, the last
 * public one); apigatewayv2 and EFS are closed code, so their success answers follow the AWS API reference
 * and their "not in your plan" answer follows the community code that every service's errors go through.
 */

export const LS_COMMIT = '8b9a79f05846835cf4dff63ab7eefdde9df83783';

export interface FakeLocalstackOptions {
  /** Ultimate plan: the EFS API answers. @default false (Base plan) */
  readonly efsApi?: boolean;
  /** What the function's `GET /health` answers through the HTTP API, in turn (the last one repeats). @default the handler's 200 */
  readonly health?: readonly { readonly status: number; readonly body: string }[];
  /** Log lines of the function in CloudWatch Logs. */
  readonly functionLog?: readonly string[];
}

export interface FakeLocalstack {
  readonly endpoint: string;
  /** Every request, as `METHOD path` (and the AWS target or query action for RPC calls). */
  readonly requests: string[];
  close(): Promise<void>;
}

// The health answer (localstack-fixtures.ts cites its source). A Base-plan image lists no efs; whether the 2026 image
// lists it as something else is not documented, which is why the EFS API itself is asked (efs-mode.ts).
const health = (efs: boolean) =>
  localstackHealth({ cloudformation: 'running', lambda: 'running', apigatewayv2: 'available', logs: 'running', s3: 'running', ...(efs ? { efs: 'available' } : {}) });

// aws/catalog_exceptions.py `LicenseUpgradeRequiredException` (501, code InternalFailure), raised from
// aws/handlers/service.py `create_exception_response`; rest-json errors carry `__type` and `message`
// (aws/protocol/serializer.py `JSONResponseSerializer._serialize_error`) and the X-Amzn-Errortype header.
export const notInLicense = (service: string) =>
  JSON.stringify({
    __type: 'InternalFailure',
    message:
      `Sorry, the ${service} service is not included within your LocalStack license, but is available in an upgraded license. ` +
      'Please refer to https://docs.localstack.cloud/references/coverage for more details.',
  });

// services/lambda_/api_utils.py `map_config_out`: FunctionConfiguration has no FileSystemConfigs (the model does
// not keep them: services/lambda_/invocation/lambda_models.py, `# file_system_configs` commented out), and
// State comes from `map_state_config`.
const getFunction = (name: string) =>
  JSON.stringify({
    Configuration: {
      FunctionName: name,
      FunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      Timeout: 10,
      MemorySize: 256,
      PackageType: 'Zip',
      State: 'Active',
      LastUpdateStatus: 'Successful',
      VpcConfig: { VpcId: 'vpc-1', SubnetIds: ['subnet-1', 'subnet-2'], SecurityGroupIds: ['sg-1'] },
      Environment: { Variables: { EFS_MOUNT_PATH: '/mnt/msg' } },
    },
    Code: { RepositoryType: 'S3', Location: 'http://localhost/code.zip' },
  });

// The handler's own answer (handler/index.ts `health`).
export const HEALTH_OK = { status: 200, body: JSON.stringify({ status: 'ok', mountPath: '/mnt/msg' }) };

function answer(req: IncomingMessage, body: string, options: FakeLocalstackOptions, healthCalls: number): { status: number; body: string; headers?: Record<string, string> } {
  const url = req.url ?? '';
  const json = (status: number, value: unknown, headers: Record<string, string> = {}) => ({
    status,
    body: typeof value === 'string' ? value : JSON.stringify(value),
    headers: { 'content-type': 'application/json', ...headers },
  });
  if (url === '/_localstack/health') return json(200, health(options.efsApi ?? false));
  // Any other unknown path falls through to S3 (bucket `_floci` etc. does not exist).
  if (/^\/_(floci|ministack|fakecloud)\/health$/.test(url)) {
    return { status: 404, body: '<Error><Code>NoSuchBucket</Code></Error>', headers: { 'content-type': 'application/xml' } };
  }
  // apigatewayv2 (closed code): GetApis, GetApi, GetRoutes as in the AWS API reference.
  if (url === '/v2/apis') return json(200, { items: [{ apiId: OUTPUTS.ApiId, name: 'myHelloVPCLambdaAPI', protocolType: 'HTTP' }] });
  if (url === `/v2/apis/${OUTPUTS.ApiId}`) return json(200, { apiId: OUTPUTS.ApiId, name: 'myHelloVPCLambdaAPI', protocolType: 'HTTP' });
  if (url === `/v2/apis/${OUTPUTS.ApiId}/routes`) {
    const keys = ['ANY /myHelloVPCLambda', 'GET /health', 'GET /messages', 'GET /messages/{id}', 'POST /messages'];
    return json(200, { items: keys.map((routeKey, i) => ({ routeId: `r${i}`, routeKey })) });
  }
  if (url.startsWith('/2015-02-01/file-systems')) {
    if (!options.efsApi) return json(501, notInLicense('efs'), { 'x-amzn-errortype': 'InternalFailure' });
    return json(200, { FileSystems: url.includes('FileSystemId=') ? [{ FileSystemId: OUTPUTS.FileSystemId, LifeCycleState: 'available' }] : [] });
  }
  if (url.startsWith(`/2015-03-31/functions/${OUTPUTS.FunctionName}`)) return json(200, getFunction(OUTPUTS.FunctionName));
  // CloudWatch Logs (JSON 1.1, X-Amz-Target Logs_20140328.FilterLogEvents).
  if (String(req.headers['x-amz-target']).endsWith('.FilterLogEvents')) {
    return json(200, { events: (options.functionLog ?? []).map((message, i) => ({ timestamp: Date.now(), message, eventId: String(i) })), searchedLogStreams: [] });
  }
  // No stack yet: services/cloudformation/v2/provider.py raises ValidationError "Stack with id … does not exist"
  // (query protocol, XML error body).
  if (req.method === 'POST' && body.includes('Action=DescribeStacks&')) {
    const name = /StackName=([^&]+)/.exec(body)?.[1] ?? '';
    return {
      status: 400,
      body: `<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${decodeURIComponent(name)} does not exist</Message></Error></ErrorResponse>`,
      headers: { 'content-type': 'text/xml' },
    };
  }
  if (req.method === 'POST' && body.includes('Action=DescribeStackEvents')) {
    return { status: 200, body: '<DescribeStackEventsResponse><DescribeStackEventsResult><StackEvents/></DescribeStackEventsResult></DescribeStackEventsResponse>', headers: { 'content-type': 'text/xml' } };
  }
  // Path-style execute-api URL (docs "API Gateway", and services/apigateway/next_gen/execute_api/router.py for REST APIs).
  if (url === `/_aws/execute-api/${OUTPUTS.ApiId}/$default/health`) {
    const answers = options.health ?? [HEALTH_OK];
    const h = answers[Math.min(healthCalls, answers.length - 1)]!;
    return json(h.status, h.body);
  }
  return json(404, { message: `fake LocalStack has no answer for ${req.method} ${url}` });
}

/** The fake's request handler and the requests it saw, for a server of the caller's (the stand-in image's too). */
export function fakeLocalstackHandler(options: FakeLocalstackOptions = {}): { requests: string[]; handle: RequestListener } {
  const requests: string[] = [];
  let healthCalls = 0;
  const handle: RequestListener = (req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      requests.push(`${req.method} ${req.url}`);
      const a = answer(req, body, options, healthCalls);
      if (req.url?.endsWith('/health') && req.url.startsWith('/_aws/')) healthCalls++;
      res.writeHead(a.status, a.headers).end(a.body);
    });
  };
  return { requests, handle };
}

export async function startFakeLocalstack(options: FakeLocalstackOptions = {}): Promise<FakeLocalstack> {
  const { requests, handle } = fakeLocalstackHandler(options);
  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
