/**
 * `npm run up -- --target <t> [--json] [--watch] [--inspect[=port]]`: start and deploy a target, print where it
 * is, stay up until Ctrl-C, then tear everything down. With --json, stdout gets exactly one line once ready:
 * {"target":…,"apiUrl":…,"efsDir":…} (efsDir absent on aws); progress goes to stderr. With --watch
 * (`npm run dev`), edits of handler/ and infra/ reach the running target; one line per reload goes to stderr,
 * and the API URL and EFS folder never change.
 */
import { parseArgs } from 'node:util';
import { loadProjectEnv } from '../core/dotenv.ts';
import { pasteableLines } from '../core/paste.ts';
import { selectTarget } from '../launch/select.ts';
import { startTarget } from '../launch/start.ts';
import { devOptionsFor, normalizeInspectFlag } from '../dev/watch/dev-flags.ts';

loadProjectEnv();
const { values } = parseArgs({
  args: normalizeInspectFlag(process.argv.slice(2)),
  options: {
    target: { type: 'string' },
    json: { type: 'boolean', default: false },
    watch: { type: 'boolean', default: false },
    inspect: { type: 'string' },
  },
});
const env = values.target ? { ...process.env, HARNESS_TARGET: values.target } : process.env;

try {
  const choice = await selectTarget(env);
  process.stderr.write(`target: ${choice.target} (${choice.reason})\n`);
  const dev = devOptionsFor(choice.target, { watch: values.watch, inspect: values.inspect }, (line) => process.stderr.write(`[watch] ${line}\n`));
  // startTarget removes everything on Ctrl-C/SIGTERM, also while still starting or reloading.
  const run = await startTarget(choice.target, { env, ...(dev ? { dev } : {}) });
  const { target, apiUrl, efsDir } = run.info;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ target, apiUrl, ...(efsDir ? { efsDir } : {}) })}\n`);
  } else {
    for (const line of pasteableLines({ apiUrl, efsDir }, run.info.mountPath)) process.stdout.write(`${line}\n`);
    if (dev?.watch) process.stdout.write('Watching handler/ and infra/: edits apply to the running target.\n');
    process.stdout.write('Up. Press Ctrl-C to tear everything down.\n');
  }
  // Stay up until a signal: on targets with nothing local (aws) no server keeps the event loop alive.
  setInterval(() => {}, 1 << 30);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}
