import { describe, expect, it } from 'vitest';
import { GATEWAY_RESPONSES } from '../local/http-api.ts';
import { diagnoseHealth, isFinal } from './health-proof.ts';

// The handler's answers (handler/index.ts `health`, handler/mount.ts messages).
const unavailable = (message: string) => ({ status: 503, body: JSON.stringify({ status: 'unavailable', error: { code: 'mount_unavailable', message } }) });
const MISSING = unavailable('Mount path /mnt/msg does not exist (is the file system mounted?)');
const READ_ONLY = unavailable("Mount path /mnt/msg is not writable: EACCES: permission denied, open '/mnt/msg/.health-1.tmp'");
// The HTTP API's own answers (closed code in LocalStack, so AWS's): no route 404 {"message":"Not Found"}, a failing
// function 500 {"message":"Internal Server Error"}. Source: harness/targets/local/http-api.ts GATEWAY_RESPONSES, from
// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-lambda.html and the
// conformance captures (harness/targets/local/conformance/sources.ts).
const gateway = ({ statusCode, body }: { statusCode: number; body: string }) => ({ status: statusCode, body });
const NOT_FOUND = gateway(GATEWAY_RESPONSES.notFound);
const FUNCTION_ERROR = gateway(GATEWAY_RESPONSES.functionError);
const CTX = { url: 'http://localhost:4566/_aws/execute-api/abc123/$default/health', mountPath: '/mnt/msg', bridge: 'bind' };

describe('isFinal', () => {
  it("should take the handler's own answers as final and retry what a starting function gives", () => {
    expect(isFinal(MISSING)).toBe(true);
    expect(isFinal(NOT_FOUND)).toBe(true);
    expect(isFinal(FUNCTION_ERROR)).toBe(false);
    expect(isFinal({ error: 'ECONNRESET' })).toBe(false);
  });
});

describe('diagnoseHealth', () => {
  it('should quote the answer and point at LAMBDA_DOCKER_FLAGS when the mount path is missing in the function', () => {
    const text = diagnoseHealth(MISSING, CTX);
    expect(text).toMatch(/^GET http:\/\/localhost:4566\/_aws\/execute-api\/abc123\/\$default\/health answered HTTP 503 \{"status":"unavailable".*it must answer 200/);
    expect(text).toContain('Unable to parse volume mount Docker flags');
  });

  it('should name the daemon that cannot see the folder, SELinux, and the volume bridge when the mount is not writable', () => {
    const text = diagnoseHealth(READ_ONLY, CTX);
    expect(text).toContain('runs in a container, DOCKER_HOST is remote, or a colima/Podman VM does not share the folder');
    expect(text).toContain('HARNESS_EFS_BRIDGE=volume');
    expect(text).toContain('chcon -Rt container_file_t');
    expect(diagnoseHealth(READ_ONLY, { ...CTX, bridge: 'volume' })).not.toContain('Or use a Docker volume instead');
  });

  it('should name missing routes on 404, a failing function on other 5xx, and an unreachable endpoint', () => {
    expect(diagnoseHealth(NOT_FOUND, CTX)).toContain('HTTP APIs need the Base plan');
    expect(diagnoseHealth(FUNCTION_ERROR, CTX)).toContain('LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT');
    expect(diagnoseHealth({ error: 'ECONNREFUSED' }, CTX)).toMatch(/answered no answer \(ECONNREFUSED\).*Nothing answered at the API URL/s);
  });
});
