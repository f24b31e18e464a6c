/**
 * `node harness/cli/deploy.ts --target endpoint [--json]`: deploys the pattern into the LocalStack at
 * HARNESS_ENDPOINT (or keeps the stack when it was deployed from the same template), prints the API URL and
 * exits 0. Starts nothing and leaves everything running: docker compose's one-shot deployer runs this.
 * With --json, stdout gets exactly one line {"target","apiUrl","efsDir","stackName"}; progress goes to stderr.
 * HARNESS_PUBLIC_ENDPOINT and HARNESS_PUBLIC_EFS_DIR, when set, are the emulator's URL and the EFS folder as the
 * reader reaches them on the host (compose's deployer deploys through http://localstack:4566 and sees the folder
 * at /project/.efs): the printed lines use them, quoted for a shell (harness/core/paste.ts).
 */
import { parseArgs } from 'node:util';
import { synthesize } from '../model/assembly.ts';
import { loadProjectEnv } from '../core/dotenv.ts';
import { hostView, pasteableLines } from '../core/paste.ts';
import { Progress } from '../core/progress.ts';
import { redact } from '../core/redact.ts';
import { createRunDir, makeRunId } from '../core/run.ts';
import { deployToEndpoint, endpointSettings } from '../targets/endpoint/index.ts';

loadProjectEnv();
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
  const view = hostView(info, process.env);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ target: info.target, apiUrl: view.apiUrl, efsDir: view.efsDir, stackName })}\n`);
  } else {
    const volume = view.efsDir ? [] : [`EFS volume: ${endpointSettings(process.env).volume}  (what the function sees at ${info.mountPath})`];
    process.stdout.write([`Stack:      ${stackName}`, ...pasteableLines(view, info.mountPath), ...volume].map((line) => `${line}\n`).join(''));
  }
} catch (error) {
  process.stderr.write(`${redact((error as Error).message)}\n`);
  process.exitCode = 1;
}
