/**
 * `npm run up -- --target <t> [--json]`: start and deploy a target, print where it is, stay up until Ctrl-C,
 * then tear everything down. With --json, stdout gets exactly one line once ready:
 * {"target":…,"apiUrl":…,"efsDir":…} (efsDir absent on aws); progress goes to stderr.
 */
import { parseArgs } from 'node:util';
import { loadProjectEnv } from '../dotenv.ts';
import { pasteableLines } from '../paste.ts';
import { selectTarget } from '../select.ts';
import { startTarget } from '../start.ts';

loadProjectEnv();
const { values } = parseArgs({ options: { target: { type: 'string' }, json: { type: 'boolean', default: false } } });
const env = values.target ? { ...process.env, HARNESS_TARGET: values.target } : process.env;

try {
  const choice = await selectTarget(env);
  process.stderr.write(`target: ${choice.target} (${choice.reason})\n`);
  // startTarget removes everything on Ctrl-C/SIGTERM, also while still starting.
  const run = await startTarget(choice.target, { env });
  const { target, apiUrl, efsDir } = run.info;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ target, apiUrl, ...(efsDir ? { efsDir } : {}) })}\n`);
  } else {
    for (const line of pasteableLines({ apiUrl, efsDir }, run.info.mountPath)) process.stdout.write(`${line}\n`);
    process.stdout.write('Up. Press Ctrl-C to tear everything down.\n');
  }
  // Stay up until a signal: on targets with nothing local (aws) no server keeps the event loop alive.
  setInterval(() => {}, 1 << 30);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}
