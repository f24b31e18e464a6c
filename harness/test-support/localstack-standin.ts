/**
 * The LocalStack stand-in: the entry point of the image `npm run images` builds (harness-local/localstack-standin),
 * for the Docker tier on machines that cannot pull LocalStack. It stands in for LocalStack's *container*, not for
 * its CloudFormation or Lambda: the tier replaces the CDK CLI, and the APIs answer as the fake LocalStack does
 * (fake-localstack.ts, every answer with its source). What it keeps of LocalStack's container contract:
 * - without LOCALSTACK_AUTH_TOKEN it exits with code 55 (DESIGN.md, "Facts about the emulators"); having no licence
 *   server, it also refuses a token that is not in LocalStack's `ls-…` form, so that the tier can reach exit 55
 *   through the harness, which refuses to start without a token;
 * - it listens on GATEWAY_LISTEN (LocalStack's setting, `host:port`, default `0.0.0.0:4566`) and then logs `Ready.`,
 *   the line @testcontainers/localstack waits for (Wait.forLogMessage("Ready"));
 * - its Lambda executor is a sibling container started through the mounted Docker socket with LAMBDA_DOCKER_FLAGS
 *   applied (-v, -l, -e, split like a shell as LocalStack's parse_additional_flags does), on LAMBDA_DOCKER_NETWORK,
 *   as uid 993:990 (sbx_user1051: localstack/lambda-runtime-init cmd/localstack/main.go). The function's
 *   `GET /health` through the HTTP API runs it: the sibling writes and removes a file under every mount it got,
 *   and the answer is the handler's 200 when that worked, API Gateway's 500 when it did not;
 * - on SIGTERM it removes the sibling containers it started, then exits (LocalStack removes its Lambda containers
 *   on shutdown when it gets the time to).
 * Sources: localstack/localstack@8b9a79f05846835cf4dff63ab7eefdde9df83783 (config.py GATEWAY_LISTEN, LAMBDA_INIT_USER;
 * utils/container_utils/container_client.py parse_additional_flags; services/lambda_/invocation/
 * docker_runtime_executor.py, which applies the flags to every Lambda container), localstack/lambda-runtime-init
 * cmd/localstack/main.go (993:990), @testcontainers/localstack 12.1.0 build/localstack-container.js ("Ready").
 */
import { createServer } from 'node:http';
import { DockerEngine } from '../core/docker-engine.ts';
import { fakeLocalstackHandler, HEALTH_OK } from './fake-localstack.ts';
import { shlexSplit } from './localstack-fixtures.ts';

const token = process.env.LOCALSTACK_AUTH_TOKEN?.trim() ?? '';
if (!/^ls-[A-Za-z0-9-]+$/.test(token)) {
  process.stdout.write(`[stand-in] License activation failed: ${token ? 'the token is not a LocalStack auth token' : 'LOCALSTACK_AUTH_TOKEN is not set'}\n`);
  process.exit(55);
}

const [listenHost, listenPort] = (() => {
  const first = (process.env.GATEWAY_LISTEN ?? ':4566').split(',')[0]!.trim();
  const colon = first.lastIndexOf(':');
  return [first.slice(0, colon) || '0.0.0.0', Number(first.slice(colon + 1))] as const;
})();

/** LAMBDA_DOCKER_FLAGS as the Docker Engine API's container settings. */
function lambdaContainerSettings(flags: string): { binds: string[]; labels: Record<string, string>; env: string[] } {
  const words = shlexSplit(flags);
  const binds: string[] = [];
  const labels: Record<string, string> = {};
  const env: string[] = [];
  for (let i = 0; i + 1 < words.length; i++) {
    const [flag, value] = [words[i], words[i + 1]!];
    if (flag === '-v') binds.push(value);
    else if (flag === '-e') env.push(value);
    else if (flag === '-l') {
      const [key = '', ...rest] = value.split('=');
      labels[key] = rest.join('=');
    } else continue;
    i++; // the flag's value
  }
  return { binds, labels, env };
}

const siblings = new Set<string>();
const engine = await DockerEngine.connect({ DOCKER_HOST: 'unix:///var/run/docker.sock' });

/** One invocation in a sibling container; true when it could write under every mount. */
async function invokeInSibling(): Promise<boolean> {
  if (!engine) {
    process.stdout.write('[stand-in] Lambda: no Docker socket at /var/run/docker.sock\n');
    return false;
  }
  const { binds, labels, env } = lambdaContainerSettings(process.env.LAMBDA_DOCKER_FLAGS ?? '');
  const targets = binds.map((b) => b.split(':')[1]!);
  const script = targets.map((t) => `touch '${t}/.standin-probe' && rm '${t}/.standin-probe'`).join(' && ') || 'true';
  const created = await engine.call<{ Id: string; message?: string }>('POST', '/containers/create', {
    Image: process.env.STANDIN_IMAGE,
    Entrypoint: ['sh', '-c', script],
    User: '993:990',
    Env: env,
    Labels: { ...labels, 'dev.harness.standin-lambda': '1' },
    HostConfig: { Binds: binds, NetworkMode: process.env.LAMBDA_DOCKER_NETWORK || 'bridge' },
  });
  if (created.status !== 201) {
    process.stdout.write(`[stand-in] Lambda: container not created: ${created.value.message}\n`);
    return false;
  }
  siblings.add(created.value.Id);
  await engine.call('POST', `/containers/${created.value.Id}/start`);
  const waited = await engine.call<{ StatusCode: number }>('POST', `/containers/${created.value.Id}/wait`);
  process.stdout.write(`[stand-in] Lambda: container ${created.value.Id.slice(0, 12)} (uid 993) exited with ${waited.value.StatusCode}\n`);
  return waited.value.StatusCode === 0;
}

const fake = fakeLocalstackHandler({ efsApi: false });
const server = createServer((req, res) => {
  if (/^\/_aws\/execute-api\/[^/]+\/\$default\/health$/.test(req.url ?? '')) {
    invokeInSibling().then(
      (ok) => {
        const answer = ok ? HEALTH_OK : { status: 500, body: JSON.stringify({ message: 'Internal Server Error' }) };
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
      },
      (error: Error) => res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: error.message })),
    );
    return;
  }
  fake.handle(req, res);
});
server.on('error', (error) => {
  process.stdout.write(`[stand-in] cannot listen on ${listenHost}:${listenPort}: ${error.message}\n`);
  process.exit(1);
});
server.listen(listenPort, listenHost, () => process.stdout.write(`[stand-in] listening on ${listenHost}:${listenPort}\nReady.\n`));

process.on('SIGTERM', () => {
  server.close();
  void Promise.all([...siblings].map((id) => engine?.removeContainer(id).catch(() => undefined))).then(() => process.exit(0));
});
