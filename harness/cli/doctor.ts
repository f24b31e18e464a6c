/**
 * `npm run doctor [-- --json]`: which targets can run on this machine and the next step for each, in a few
 * seconds and without starting anything. Exit code 0 when at least `local` is ready, 1 otherwise. Never
 * prints a secret (everything goes through redact).
 */
import { parseArgs } from 'node:util';
import { loadProjectEnv } from '../core/dotenv.ts';
import { gatherFacts } from '../doctor/checks.ts';
import { doctorReport, renderJson, renderText } from '../doctor/report.ts';

// The token and settings in .env count, as they do for the targets (the line about the file goes to stderr).
loadProjectEnv();

const { values } = parseArgs({ options: { json: { type: 'boolean', default: false } } });
const report = await doctorReport(await gatherFacts(process.env), process.env);
process.stdout.write(`${values.json ? renderJson(report, process.env) : renderText(report, process.env)}\n`);
// A check that gave up may leave a socket or a credential provider pending: the answer is out, so end here.
process.exit(report.localReady ? 0 : 1);
