/**
 * `node harness/cli/deploy.ts --target endpoint [--json]`: deploys the pattern into the LocalStack at
 * HARNESS_ENDPOINT (or keeps the stack when it was deployed from the same template), prints the API URL and
 * exits 0. Starts nothing and leaves everything running: docker compose's one-shot deployer runs this.
 * With --json, stdout gets exactly one line {"target","apiUrl","efsDir","stackName"}; progress goes to stderr.
 * HARNESS_PUBLIC_ENDPOINT, when set, is the emulator's URL as the reader reaches it (compose's deployer deploys
 * through http://localstack:4566, which resolves only inside compose): the printed API URL uses it.
 */
import { parseArgs } from 'node:util';
import { synthesize } from '../assembly.ts';
import { Progress } from '../progress.ts';
import { redact } from '../redact.ts';
import { createRunDir, makeRunId } from '../run.ts';
import { deployToEndpoint, endpointSettings } from '../targets/endpoint.ts';

const { values } = parseArgs({ options: { target: { type: 'string', default: 'endpoint' }, json: { type: 'boolean', default: false } } });

try {
  if (values.target !== 'endpoint') {
    throw new Error(`deploy supports --target endpoint only (got "${values.target}"); the other targets deploy as they start: npm run up -- --target ${values.target}`);
  }
  const runId = makeRunId();
  const runDir = createRunDir(runId);
  const progress = new Progress();
  progress.info(`deploy ${runId}: artifacts in ${runDir}`);
  const { info, stackName, reader } = await deployToEndpoint({ runId, runDir, env: process.env, progress, synth: synthesize });
  // HARNESS_EFS_BRIDGE=volume: the reader opened the volume to the function's user; nothing reads it after this.
  await reader?.stop();
  const publicEndpoint = process.env.HARNESS_PUBLIC_ENDPOINT?.trim().replace(/\/+$/, '');
  const apiUrl = publicEndpoint && info.awsEndpoint ? publicEndpoint + info.apiUrl.slice(info.awsEndpoint.length) : info.apiUrl;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ target: info.target, apiUrl, efsDir: info.efsDir, stackName })}\n`);
  } else {
    process.stdout.write(`Stack:      ${stackName}\n`);
    process.stdout.write(`API:        ${apiUrl}\n`);
    process.stdout.write(`Greeting:   ${apiUrl}/myHelloVPCLambda\n`);
    const where = info.efsDir ? `EFS folder: ${info.efsDir}` : `EFS volume: ${endpointSettings(process.env).volume}`;
    process.stdout.write(`${where}  (what the function sees at ${info.mountPath})\n`);
  }
} catch (error) {
  process.stderr.write(`${redact((error as Error).message)}\n`);
  process.exitCode = 1;
}
