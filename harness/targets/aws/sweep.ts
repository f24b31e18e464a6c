import { parseArgs } from 'node:util';
import { redact } from '../../core/redact.ts';
import { type AwsApi, type StackSummary, withoutFinalPeriod } from './api.ts';
import { checkAwsAccess } from './guard.ts';
import { awsStackName, EXPIRES_AT_TAG, HARNESS_TAG, HARNESS_TAG_VALUE, RUN_ID_TAG, STACK_NAME_PREFIX } from './stack.ts';

/**
 * `npm run sweep`: finds test stacks that runs left behind (a killed CI job, HARNESS_KEEP=1) and, with
 * `--yes`, deletes the expired ones. It deletes a stack only when it carries the harness tag, is named
 * `harness-*` and its expiry tag is a time in the past: never anything else in the account.
 */

export interface SweepDecision {
  readonly stack: StackSummary;
  readonly delete: boolean;
  readonly reason: string;
  readonly expiresAt?: Date;
}

/** The longest a deletion is waited for: a VPC Lambda's network interfaces can hold it up for 40 minutes. */
export const DELETE_WAIT_SECONDS = 45 * 60;

// Date.parse accepts almost anything ("1" is the year 2001): only the ISO form the harness writes counts.
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Whether the stack carries the harness tag: the only stacks the sweep looks at any closer. */
export function isHarnessStack(stack: StackSummary): boolean {
  return stack.tags[HARNESS_TAG] === HARNESS_TAG_VALUE;
}

/** Decides, for every stack, whether the sweep deletes it and why (pure: the time is passed in). */
export function selectExpired(stacks: readonly StackSummary[], now: Date): SweepDecision[] {
  return stacks.map((stack) => decide(stack, now));
}

function decide(stack: StackSummary, now: Date): SweepDecision {
  const skip = (reason: string, expiresAt?: Date): SweepDecision => ({ stack, delete: false, reason, ...(expiresAt ? { expiresAt } : {}) });
  if (!isHarnessStack(stack)) return skip(`not a harness stack (no ${HARNESS_TAG}=${HARNESS_TAG_VALUE} tag)`);
  if (!stack.name.startsWith(STACK_NAME_PREFIX)) return skip(`has the harness tag but is not named ${STACK_NAME_PREFIX}*: left alone`);
  if (stack.status === 'DELETE_COMPLETE') return skip('already deleted');
  if (stack.status === 'DELETE_IN_PROGRESS') return skip('already being deleted');
  const tag = stack.tags[EXPIRES_AT_TAG];
  if (tag === undefined) return skip(`no ${EXPIRES_AT_TAG} tag: delete it by hand if it is yours`);
  const expiresAt = new Date(tag);
  if (!ISO_TIME.test(tag) || Number.isNaN(expiresAt.getTime())) {
    return skip(`${EXPIRES_AT_TAG}="${tag}" is not an ISO time: delete it by hand if it is yours`);
  }
  const left = expiresAt.getTime() - now.getTime();
  if (left > 0) return skip(`expires in ${formatDuration(left)}`, expiresAt);
  // A deploy killed between creating its change set and executing it leaves the stack in REVIEW_IN_PROGRESS
  // for good: nothing is running on it, so it is deleted like a finished stack.
  if (stack.status === 'REVIEW_IN_PROGRESS') {
    return { stack, delete: true, reason: `expired ${formatDuration(-left)} ago; a deploy stopped before executing its change set (REVIEW_IN_PROGRESS)`, expiresAt };
  }
  // A stack being created or rolled back is busy; CloudFormation finishes (or times out) and the next sweep takes it.
  if (stack.status.endsWith('_IN_PROGRESS')) return skip(`expired, but busy (${stack.status}): the next sweep retries`, expiresAt);
  const retry = stack.status === 'DELETE_FAILED' ? '; its last deletion failed, trying again' : '';
  return { stack, delete: true, reason: `expired ${formatDuration(-left)} ago${retry}`, expiresAt };
}

/**
 * `--run-id`: the one stack of that run, expired or not (the run is over: its CI job was cancelled or timed
 * out), still only when it carries the harness tag and that run id in its tags.
 */
export function selectRun(stacks: readonly StackSummary[], runId: string): SweepDecision[] {
  const name = awsStackName(runId);
  return stacks.map((stack): SweepDecision => {
    if (!isHarnessStack(stack)) return { stack, delete: false, reason: `not a harness stack (no ${HARNESS_TAG}=${HARNESS_TAG_VALUE} tag)` };
    if (stack.name !== name || stack.tags[RUN_ID_TAG] !== runId) return { stack, delete: false, reason: `not the stack of run ${runId}` };
    if (stack.status === 'DELETE_COMPLETE') return { stack, delete: false, reason: 'already deleted' };
    return { stack, delete: true, reason: `the stack of run ${runId} (${stack.status})` };
  });
}

/** `2 h 5 min`, `40 min`, `30 s`. */
export function formatDuration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return `${Math.max(0, Math.round(ms / 1000))} s`;
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const parts = [days ? `${days} d` : '', hours ? `${hours} h` : '', minutes % 60 ? `${minutes % 60} min` : ''];
  return parts.filter(Boolean).join(' ');
}

/** The table printed before anything is deleted: harness stacks only (the others are counted). */
export function formatTable(decisions: readonly SweepDecision[]): string {
  const rows = decisions
    .filter((d) => isHarnessStack(d.stack))
    .map((d) => [d.stack.name, d.stack.status, d.expiresAt?.toISOString() ?? d.stack.tags[EXPIRES_AT_TAG] ?? '-', d.delete ? 'delete' : 'keep', d.reason]);
  const others = decisions.length - rows.length;
  const footer = others > 0 ? [`${others} other stack(s) without the ${HARNESS_TAG}=${HARNESS_TAG_VALUE} tag left alone.`] : [];
  if (rows.length === 0) return [`No harness stacks (tag ${HARNESS_TAG}=${HARNESS_TAG_VALUE}).`, ...footer].join('\n');
  const header = ['STACK', 'STATUS', 'EXPIRES AT', 'ACTION', 'REASON'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line), ...footer].join('\n');
}

export const USAGE = `Usage: npm run sweep -- [--yes] [--run-id <run id>]

Lists the stacks that harness runs left in HARNESS_AWS_ACCOUNT / AWS_REGION and deletes the expired ones.
A stack is deleted only when it has the tag ${HARNESS_TAG}=${HARNESS_TAG_VALUE}, a name starting with
${STACK_NAME_PREFIX} and a ${EXPIRES_AT_TAG} time in the past. Nothing else is ever touched.

  --yes           delete the expired stacks and wait until each is gone (up to ${DELETE_WAIT_SECONDS / 60} min: Lambda's
                  VPC network interfaces are released slowly). Without it, only lists.
  --run-id <id>   only the stack of that run (${STACK_NAME_PREFIX}<id>, tagged ${RUN_ID_TAG}=<id>), expired or not: the
                  cleanup of a CI job that was cancelled or timed out (HARNESS_RUN_ID of that run).
  --help          this text.

Environment: HARNESS_AWS_ACCOUNT (12 digits, must match the credentials), AWS_REGION; credentials from the
default chain (profile, SSO, OIDC in CI).

Exit codes: 0 listed, or every expired stack deleted; 1 an AWS call or a deletion failed;
2 refused (settings, credentials or arguments).`;

export interface SweepOptions {
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** The AWS calls for a region (real SDK clients, or fakes in tests). */
  readonly aws: (region: string) => AwsApi;
  /** The table and the results. */
  readonly out: (line: string) => void;
  /** Errors and progress. */
  readonly err: (line: string) => void;
  readonly now?: () => Date;
  readonly deleteWaitSeconds?: number;
  /** How often a line says that deletions are still running. @default 60 s */
  readonly tickMs?: number;
}

/** Runs the sweep; resolves with the process's exit code. */
export async function runSweep(options: SweepOptions): Promise<number> {
  const { env, out } = options;
  const err = (line: string) => options.err(redact(line, env));
  let yes: boolean;
  let runId: string | undefined;
  try {
    const { values } = parseArgs({
      args: [...options.args],
      options: { yes: { type: 'boolean', default: false }, help: { type: 'boolean', default: false }, 'run-id': { type: 'string' } },
    });
    if (values.help) {
      out(USAGE);
      return 0;
    }
    yes = values.yes;
    runId = values['run-id']?.trim();
    if (runId !== undefined) awsStackName(runId);
  } catch (error) {
    err(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }

  let aws: AwsApi;
  let where: string;
  try {
    const access = await checkAwsAccess(env, (region) => options.aws(region).callerIdentity(), 'The sweep');
    aws = options.aws(access.region);
    where = `account ${access.account}, ${access.region}`;
  } catch (error) {
    err((error as Error).message);
    return 2;
  }

  let decisions: SweepDecision[];
  try {
    const stacks = await aws.listStacks();
    decisions = runId === undefined ? selectExpired(stacks, (options.now ?? (() => new Date()))()) : selectRun(stacks, runId);
  } catch (error) {
    err(`Listing the stacks in ${where} failed (${(error as Error).name}): ${(error as Error).message}. The role needs cloudformation:DescribeStacks.`);
    return 1;
  }
  out(`Harness stacks in ${where}:`);
  out(formatTable(decisions));
  const expired = decisions.filter((d) => d.delete).map((d) => d.stack.name);
  if (expired.length === 0) {
    out(runId === undefined ? 'Nothing to delete.' : `Nothing to delete: no stack ${awsStackName(runId)} of run ${runId} is left.`);
    return 0;
  }
  if (!yes) {
    out(`${expired.length} ${runId === undefined ? 'expired ' : ''}stack(s) would be deleted. Run \`npm run sweep -- --yes${runId === undefined ? '' : ` --run-id ${runId}`}\` to delete them.`);
    return 0;
  }

  const started = Date.now();
  const ticker = setInterval(
    () => err(`still deleting ${expired.length} stack(s) after ${formatDuration(Date.now() - started)} (Lambda's VPC network interfaces are released slowly)`),
    options.tickMs ?? 60_000,
  );
  ticker.unref();
  try {
    const results = await Promise.all(expired.map((name) => deleteOne(aws, name, options.deleteWaitSeconds ?? DELETE_WAIT_SECONDS)));
    for (const result of results) (result.ok ? out : err)(result.message);
    return results.every((r) => r.ok) ? 0 : 1;
  } finally {
    clearInterval(ticker);
  }
}

async function deleteOne(aws: AwsApi, name: string, waitSeconds: number): Promise<{ ok: boolean; message: string }> {
  try {
    await aws.deleteStack(name);
    const outcome = await aws.waitStackDeleted(name, waitSeconds);
    if (outcome.ok) return { ok: true, message: `deleted ${name}` };
    const events = await aws.failedStackEvents(name).catch(() => []);
    const detail = withoutFinalPeriod(outcome.detail);
    const why = outcome.timedOut ? `still not deleted after ${formatDuration(waitSeconds * 1000)} (${detail})` : detail;
    return {
      ok: false,
      message:
        `${name}: ${why}. The next sweep tries again; the failed resources are in its events ` +
        `(CloudFormation console, or aws cloudformation describe-stack-events --stack-name ${name}).` +
        (events.length > 0 ? `\n${events.map((e) => `  ${e}`).join('\n')}` : ''),
    };
  } catch (error) {
    return { ok: false, message: `${name}: deleting failed (${(error as Error).name}): ${(error as Error).message}` };
  }
}
