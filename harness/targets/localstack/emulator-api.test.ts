import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorApi } from './emulator-api.ts';

// A fake LocalStack on 127.0.0.1 answering the calls the deploy flow makes, in each API's wire format. Sources
// (localstack/localstack@8b9a79f0): CloudFormation is the query protocol with XML bodies and a ValidationError
// "Stack with id … does not exist" for a missing stack (services/cloudformation/v2/provider.py); the others are
// cited where they answer. The full list: docs/localstack-behaviour.md.
const requests: { method: string; url: string; authorization: string; body: string }[] = [];
let server: Server;
let endpoint: string;

const STACK_XML = `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>
<StackName>HelloVpcLambda</StackName><StackId>arn:aws:cloudformation:us-east-1:000000000000:stack/HelloVpcLambda/1</StackId>
<CreationTime>2026-11-26T10:00:00Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus>
<Tags><member><Key>harness:assembly-hash</Key><Value>abc</Value></member></Tags>
<Outputs><member><OutputKey>ApiId</OutputKey><OutputValue>api1</OutputValue></member></Outputs>
</member></Stacks></DescribeStacksResult></DescribeStacksResponse>`;
const EVENTS_XML = `<DescribeStackEventsResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStackEventsResult><StackEvents>
<member><StackId>s</StackId><EventId>3</EventId><StackName>S</StackName><Timestamp>2026-11-26T10:00:03Z</Timestamp><LogicalResourceId>S</LogicalResourceId><ResourceType>AWS::CloudFormation::Stack</ResourceType><ResourceStatus>ROLLBACK_COMPLETE</ResourceStatus></member>
<member><StackId>s</StackId><EventId>2</EventId><StackName>S</StackName><Timestamp>2026-11-26T10:00:02Z</Timestamp><LogicalResourceId>Fn</LogicalResourceId><ResourceType>AWS::Lambda::Function</ResourceType><ResourceStatus>CREATE_FAILED</ResourceStatus><ResourceStatusReason>bad access point ARN</ResourceStatusReason></member>
<member><StackId>s</StackId><EventId>1</EventId><StackName>S</StackName><Timestamp>2026-11-26T10:00:01Z</Timestamp><LogicalResourceId>Fs</LogicalResourceId><ResourceType>AWS::EFS::FileSystem</ResourceType><ResourceStatus>CREATE_FAILED</ResourceStatus></member>
</StackEvents></DescribeStackEventsResult></DescribeStackEventsResponse>`;
const LICENSE =
  'Sorry, the efs service is not included within your LocalStack license, but is available in an upgraded license. Please refer to https://docs.localstack.cloud/references/coverage for more details.';
const NO_STACK_XML = `<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id Missing does not exist</Message></Error></ErrorResponse>`;

function answer(req: IncomingMessage, body: string): { status: number; type: string; body: string; headers?: Record<string, string> } {
  const url = req.url ?? '';
  if (req.method === 'POST' && url === '/') {
    if (body.includes('Action=DescribeStacks') && body.includes('StackName=Missing')) return { status: 400, type: 'text/xml', body: NO_STACK_XML };
    if (body.includes('Action=DescribeStacks')) return { status: 200, type: 'text/xml', body: STACK_XML };
    if (body.includes('Action=DescribeStackEvents')) return { status: 200, type: 'text/xml', body: EVENTS_XML };
  }
  if (url === '/v2/apis/api1') return { status: 200, type: 'application/json', body: JSON.stringify({ apiId: 'api1', name: 'myHelloVPCLambdaAPI' }) };
  if (url === '/v2/apis/api1/routes') {
    return { status: 200, type: 'application/json', body: JSON.stringify({ items: [{ routeKey: 'ANY /myHelloVPCLambda' }, { routeKey: 'GET /health' }] }) };
  }
  if (url.startsWith('/v2/apis/')) return { status: 404, type: 'application/json', body: JSON.stringify({ message: 'Invalid API identifier specified' }) };
  if (url === '/2015-02-01/file-systems?FileSystemId=fs-1') return { status: 200, type: 'application/json', body: JSON.stringify({ FileSystems: [{ FileSystemId: 'fs-1' }] }) };
  // A plan without EFS: aws/catalog_exceptions.py LicenseUpgradeRequiredException (501 InternalFailure), rest-json body
  // with __type and message (aws/protocol/serializer.py), localstack/localstack@8b9a79f0.
  if (url.startsWith('/2015-02-01/file-systems')) {
    return { status: 501, type: 'application/json', body: JSON.stringify({ __type: 'InternalFailure', message: LICENSE }), headers: { 'x-amzn-errortype': 'InternalFailure' } };
  }
  // LocalStack's GetFunction has no FileSystemConfigs on any plan (localstack/localstack@8b9a79f0,
  // services/lambda_/api_utils.py `map_config_out`; the model keeps none: invocation/lambda_models.py).
  if (url.startsWith('/2015-03-31/functions/fn1')) {
    return { status: 200, type: 'application/json', body: JSON.stringify({ Configuration: { FunctionName: 'fn1', State: 'Active', PackageType: 'Zip' } }) };
  }
  if (url.startsWith('/2015-03-31/functions/')) {
    return {
      status: 404,
      type: 'application/json',
      body: JSON.stringify({ Type: 'User', Message: 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope' }),
      headers: { 'x-amzn-errortype': 'ResourceNotFoundException' },
    };
  }
  return { status: 404, type: 'text/plain', body: 'unexpected' };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: String(req.headers.authorization ?? ''), body });
      const a = answer(req, body);
      res.writeHead(a.status, { 'content-type': a.type, ...a.headers }).end(a.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('emulatorApi', () => {
  it('should read the stack status, its hash tag and its outputs', async () => {
    await expect(emulatorApi(endpoint, 'us-east-1').describeStack('HelloVpcLambda')).resolves.toEqual({
      status: 'CREATE_COMPLETE',
      hash: 'abc',
      outputs: { ApiId: 'api1' },
    });
  });

  it('should treat a stack that does not exist as none', async () => {
    await expect(emulatorApi(endpoint, 'us-east-1').describeStack('Missing')).resolves.toBeUndefined();
  });

  it('should list only the failed events, oldest first', async () => {
    await expect(emulatorApi(endpoint, 'us-east-1').failedEvents('S')).resolves.toEqual([
      'Fs (AWS::EFS::FileSystem) CREATE_FAILED: no reason given',
      'Fn (AWS::Lambda::Function) CREATE_FAILED: bad access point ARN',
    ]);
  });

  it("should read the HTTP API's routes through apigatewayv2's REST path, signed for the apigateway service", async () => {
    await expect(emulatorApi(endpoint, 'us-east-1').httpApi('api1')).resolves.toEqual({ found: true, routeKeys: ['ANY /myHelloVPCLambda', 'GET /health'] });
    const call = requests.find((r) => r.url === '/v2/apis/api1')!;
    expect(call.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=test\/\d{8}\/us-east-1\/apigateway\/aws4_request, /);
  });

  it('should report a missing HTTP API with what the service said', async () => {
    await expect(emulatorApi(endpoint, 'us-east-1').httpApi('nope')).resolves.toEqual({
      found: false,
      detail: 'HTTP 404 {"message":"Invalid API identifier specified"}',
      routeKeys: [],
    });
  });

  it('should find a file system through the EFS REST path, and report a plan without EFS', async () => {
    const api = emulatorApi(endpoint, 'us-east-1');
    await expect(api.fileSystem('fs-1')).resolves.toEqual({ found: true });
    await expect(api.fileSystem('fs-2')).resolves.toEqual({ found: false, detail: `HTTP 501 {"__type":"InternalFailure","message":"${LICENSE}"}` });
    expect(requests.find((r) => r.url.includes('fs-2'))!.authorization).toContain('/us-east-1/elasticfilesystem/aws4_request');
  });

  it('should tell whether the EFS API is in the plan from DescribeFileSystems, quoting its answer', async () => {
    await expect(emulatorApi(endpoint, 'us-east-1').efsApi()).resolves.toEqual({
      available: false,
      detail: `DescribeFileSystems answered HTTP 501 {"__type":"InternalFailure","message":"${LICENSE}"}`,
    });
  });

  it('should reject when the EFS probe gets no HTTP answer at all, rather than guess a plan', async () => {
    await expect(emulatorApi('http://127.0.0.1:1', 'us-east-1').efsApi()).rejects.toThrow(/^DescribeFileSystems got no answer from the emulator/);
  });

  it('should find a function that LocalStack reports without a mount, and report a missing function', async () => {
    const api = emulatorApi(endpoint, 'us-east-1');
    await expect(api.lambdaFunction('fn1')).resolves.toEqual({ found: true });
    await expect(api.lambdaFunction('nope')).resolves.toMatchObject({ found: false, detail: expect.stringContaining('ResourceNotFoundException') });
  });

  it('should return once the function is Active', async () => {
    await expect(emulatorApi(endpoint, 'us-east-1').waitFunctionActive('fn1', 5)).resolves.toBeUndefined();
  });
});
