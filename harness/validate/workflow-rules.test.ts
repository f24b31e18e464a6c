import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { AwsApi } from '../targets/aws/api.ts';
import { runSweep } from '../targets/aws/sweep.ts';
import { PROJECT_ROOT } from '../core/run.ts';

// The workflows cannot run here: these tests hold them to what they promise (jobs, guards, permissions, no keys).

interface Step {
  readonly name?: string;
  readonly id?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, string>;
  readonly 'timeout-minutes'?: number;
}

interface Job {
  readonly if?: string;
  readonly environment?: string;
  readonly needs?: string | string[];
  readonly permissions?: Record<string, string>;
  readonly env?: Record<string, string>;
  readonly outputs?: Record<string, string>;
  readonly concurrency?: { group: string; 'cancel-in-progress'?: boolean };
  readonly 'timeout-minutes'?: number;
  readonly steps: Step[];
}

interface Workflow {
  readonly on: Record<string, unknown>;
  readonly permissions?: Record<string, string>;
  readonly jobs: Record<string, Job>;
}

const WORKFLOWS = path.join(PROJECT_ROOT, '.github', 'workflows');
const text = (file: string): string => readFileSync(path.join(WORKFLOWS, file), 'utf8');
const load = (file: string): Workflow => parse(text(file)) as Workflow;
const runs = (job: Job): string[] => job.steps.flatMap((s) => (s.run ? [s.run.trim()] : []));
const step = (job: Job, uses: string): Step | undefined => job.steps.find((s) => s.uses?.startsWith(`${uses}@`));

describe.each(['ci.yml', 'aws-smoke.yml'])('%s', (file) => {
  it('should hold no long-lived AWS keys', () => {
    expect(text(file)).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/i);
  });

  it('should use secrets nowhere in an `if` (GitHub does not allow it)', () => {
    // Source: https://docs.github.com/en/actions/reference/workflows-and-actions/contexts#context-availability (no
    // `secrets` in jobs.<id>.if nor steps.if) and "Secrets cannot be directly referenced in if: conditionals" in
    // https://docs.github.com/en/actions/security-for-github-actions/security-guides/using-secrets-in-github-actions.
    const workflow = load(file);
    const conditions = Object.values(workflow.jobs).flatMap((job) => [job.if ?? '', ...job.steps.map((s) => s.if ?? '')]);
    expect(conditions.filter((c) => c.includes('secrets.'))).toEqual([]);
  });

  it('should set up Node from .nvmrc in every job that installs dependencies', () => {
    const installing = Object.values(load(file).jobs).filter((j) => runs(j).some((r) => r.startsWith('npm ci')));
    expect(installing.length).toBeGreaterThan(0);
    for (const job of installing) expect(step(job, 'actions/setup-node')?.with?.['node-version-file']).toBe('.nvmrc');
  });

  it('should install without install scripts, and before any cloud credentials exist', () => {
    for (const job of Object.values(load(file).jobs)) {
      const installs = runs(job).filter((r) => /\bnpm (ci|install|i)\b/.test(r));
      for (const install of installs) expect(install).toBe('npm ci --ignore-scripts');
      const installAt = job.steps.findIndex((s) => s.run?.trim().startsWith('npm ci'));
      const credentialsAt = job.steps.findIndex((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'));
      if (installAt >= 0 && credentialsAt >= 0) expect(installAt).toBeLessThan(credentialsAt);
    }
  });

  it('should pin every action by a full commit SHA, with the version in a comment', () => {
    const uses = text(file)
      .split('\n')
      .filter((line) => /^\s*(-\s+)?uses:/.test(line));
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses) expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });
});

describe('action pins across workflows', () => {
  it('should pin each action to one commit everywhere', () => {
    const pins = new Map<string, Set<string>>();
    for (const file of ['ci.yml', 'aws-smoke.yml']) {
      for (const [, action, pin] of text(file).matchAll(/uses: ([\w.-]+\/[\w.-]+)@([0-9a-f]{40} # v[\d.]+)/g)) {
        pins.set(action!, (pins.get(action!) ?? new Set()).add(pin!));
      }
    }
    expect([...pins.keys()].sort()).toEqual(['actions/checkout', 'actions/setup-node', 'actions/upload-artifact', 'aws-actions/configure-aws-credentials']);
    for (const [action, versions] of pins) expect([...versions], action).toHaveLength(1);
  });
});

describe('ci.yml', () => {
  const ci = load('ci.yml');

  it('should run on push and pull request with read-only permissions', () => {
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push']);
    expect(ci.permissions).toEqual({ contents: 'read' });
  });

  it('should install with npm ci and run npm test', () => {
    const commands = runs(ci.jobs.test!);
    expect(commands).toContain('npm ci --ignore-scripts');
    expect(commands).toContain('npm test');
    expect(commands.indexOf('npm ci --ignore-scripts')).toBeLessThan(commands.indexOf('npm test'));
  });

  it('should run the LocalStack scenarios only when the LOCALSTACK_AUTH_TOKEN secret exists', () => {
    const check = ci.jobs['localstack-token']!;
    const checkStep = check.steps.find((s) => s.id === 'check')!;
    expect(checkStep.env?.LOCALSTACK_AUTH_TOKEN).toBe('${{ secrets.LOCALSTACK_AUTH_TOKEN }}');
    expect(checkStep.run).toContain('present=true');
    expect(check.outputs?.present).toBe('${{ steps.check.outputs.present }}');

    const job = ci.jobs['scenarios-localstack']!;
    expect(job.needs).toContain('localstack-token');
    expect(job.if).toContain("needs.localstack-token.outputs.present == 'true'");
    expect(job.env).toEqual({ HARNESS_TARGET: 'localstack' });
    expect(runs(job)).toContain('npm run scenarios');
  });

  it('should give the LocalStack token to the step that runs the scenarios, and to no install', () => {
    const job = ci.jobs['scenarios-localstack']!;
    const withToken = job.steps.filter((s) => JSON.stringify(s).includes('secrets.LOCALSTACK_AUTH_TOKEN'));
    expect(withToken.map((s) => s.run)).toEqual(['npm run scenarios']);
    expect(withToken[0]?.env).toEqual({ LOCALSTACK_AUTH_TOKEN: '${{ secrets.LOCALSTACK_AUTH_TOKEN }}' });
    expect(JSON.stringify(job.env ?? {})).not.toContain('secrets.');
  });

  it('should spend one LocalStack activation per commit: on push, not again for the pull request', () => {
    // A same-repository pull request's commit triggers both events (push to its branch, pull_request `synchronize`:
    // https://docs.github.com/en/actions/reference/workflows-and-actions/events-that-trigger-workflows); only `push` runs the LocalStack jobs.
    for (const name of ['localstack-token', 'scenarios-localstack']) {
      expect(ci.jobs[name]!.if, name).toMatch(/^github\.event_name == 'push'(?: && |$)/);
    }
  });

  it('should upload the run folders and JUnit XML when the LocalStack scenarios fail', () => {
    const upload = step(ci.jobs['scenarios-localstack']!, 'actions/upload-artifact')!;
    expect(upload.if).toBe('failure()');
    expect(String(upload.with?.path)).toContain('.harness/runs/');
    expect(String(upload.with?.path)).toContain('junit.xml');
    // `.harness` is hidden: without this the artifact would be empty. Source: input include-hidden-files, default 'false', in
    // action.yml of github.com/actions/upload-artifact at bbbca2ddaa5d8feaa63e36b76fdaad77386f024f (v7.0.0, the pin);
    // hidden files are left out since v4.4.0 (https://github.com/actions/upload-artifact/releases/tag/v4.4.0).
    expect(upload.with?.['include-hidden-files']).toBe(true);
  });
});

describe('aws-smoke.yml', () => {
  const smoke = load('aws-smoke.yml');

  it('should be started by hand and sweep on a schedule', () => {
    expect(Object.keys(smoke.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    const schedule = smoke.on.schedule as { cron: string }[];
    expect(schedule[0]?.cron.split(' ')).toHaveLength(5);
    expect(smoke.jobs.sweep!.if).toContain("github.event_name == 'schedule'");
    expect(runs(smoke.jobs.sweep!)).toContain('npm run sweep -- --yes');
  });

  it.each([
    ['smoke', '${{ vars.AWS_ROLE_ARN }}'],
    ['sweep', '${{ vars.AWS_SWEEP_ROLE_ARN }}'],
  ])('should give the %s job its own OIDC role, never keys', (name, role) => {
    // Inputs role-to-assume, aws-region, allowed-account-ids ("The action will fail if we receive credentials for the
    // wrong account"): action.yml of github.com/aws-actions/configure-aws-credentials at e6de054238d6b7531b4efff3b6587d9aade6a06c (v6.2.3, the pin).
    const job = smoke.jobs[name]!;
    expect(job.permissions?.['id-token']).toBe('write');
    const credentials = step(job, 'aws-actions/configure-aws-credentials')!;
    expect(credentials.with?.['role-to-assume']).toBe(role);
    expect(credentials.with?.['aws-region']).toBeTruthy();
    expect(credentials.with?.['allowed-account-ids']).toBe('${{ vars.HARNESS_AWS_ACCOUNT }}');
    expect(Object.keys(credentials.with ?? {}).filter((k) => k.startsWith('aws-access') || k.startsWith('aws-secret'))).toEqual([]);
    expect(job.env?.HARNESS_AWS_ACCOUNT).toBe('${{ vars.HARNESS_AWS_ACCOUNT }}');
  });

  it('should run the smoke job in the aws-smoke environment, the OIDC subject its role trusts', () => {
    // GitHub's OIDC `sub` for a job with an environment is repo:<owner>/<repo>:environment:<name>.
    // Source: https://docs.github.com/en/actions/reference/security/oidc (subject claims, filtering for a specific environment).
    expect(smoke.jobs.smoke!.environment).toBe('aws-smoke');
    expect(smoke.jobs.sweep!.environment).toBeUndefined();
    expect(smoke.jobs.sweep!.if).toContain("vars.AWS_SWEEP_ROLE_ARN != ''");
  });

  it('should run the scenarios on the aws target, one run at a time, bounded in time', () => {
    const job = smoke.jobs.smoke!;
    expect(job.env?.HARNESS_TARGET).toBe('aws');
    expect(runs(job)).toContain('npm run scenarios');
    expect(job.concurrency).toEqual({ group: 'aws-smoke', 'cancel-in-progress': false });
    expect(job['timeout-minutes']).toBeGreaterThanOrEqual(90);
    // Credentials must outlive the slowest teardown; the action's role-duration-seconds defaults to one hour (same action.yml).
    expect(Number(step(job, 'aws-actions/configure-aws-credentials')!.with?.['role-duration-seconds'])).toBeGreaterThanOrEqual(job['timeout-minutes']! * 60);
  });

  describe("cleanup of this run's stack", () => {
    const job = smoke.jobs.smoke!;
    const scenariosAt = job.steps.findIndex((s) => s.run?.trim() === 'npm run scenarios');
    const cleanupAt = job.steps.findIndex((s) => s.run?.includes('--run-id'));
    const cleanup = job.steps[cleanupAt]!;

    it('should give the run an id known before it starts', () => {
      expect(job.env?.HARNESS_RUN_ID).toBe('gh-${{ github.run_id }}-${{ github.run_attempt }}');
    });

    it('should run after the scenarios even when they failed, timed out or were cancelled, once credentials exist', () => {
      expect(scenariosAt).toBeGreaterThan(0);
      expect(cleanupAt).toBeGreaterThan(scenariosAt);
      expect(cleanup.if).toBe("always() && steps.credentials.outcome == 'success'");
      expect(job.steps.find((s) => s.id === 'credentials')?.uses).toMatch(/^aws-actions\/configure-aws-credentials@/);
    });

    it('should leave the cleanup its own time within the job', () => {
      const scenarios = job.steps[scenariosAt]!['timeout-minutes']!;
      expect(scenarios).toBeGreaterThan(0);
      expect(cleanup['timeout-minutes']).toBeGreaterThanOrEqual(45);
      expect(scenarios + cleanup['timeout-minutes']!).toBeLessThanOrEqual(job['timeout-minutes']!);
    });

    it("should delete exactly this run's stack and wait for it, when its command runs through the sweep", async () => {
      // The step's command, with the job's run id, run through the real sweep against a fake account that holds
      // the run's half-created stack and an older expired one. Statuses are CloudFormation's StackStatus values
      // (Source: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Stack.html); the caller's Arn has
      // GetCallerIdentity's assumed-role form (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
      const runId = 'gh-12345678901-1';
      const args = cleanup.run!.trim().replace('npm run sweep -- ', '').replace('"${HARNESS_RUN_ID}"', runId).split(' ');
      const calls: string[] = [];
      const tags = (id: string) => ({ harness: 'apigw-vpc-lambda-efs', 'harness:run-id': id, 'harness:expires-at': '2026-11-25T09:00:00.000Z' });
      const aws: AwsApi = {
        callerIdentity: async () => ({ account: '123456789012', arn: 'arn:aws:sts::123456789012:assumed-role/smoke/gh' }),
        stack: async () => undefined,
        listStacks: async () => [
          { name: `harness-${runId}`, status: 'CREATE_IN_PROGRESS', tags: tags(runId) },
          { name: 'harness-gh-1-1', status: 'CREATE_COMPLETE', tags: tags('gh-1-1') },
        ],
        failedStackEvents: async () => [],
        deleteStack: async (name) => void calls.push(`delete ${name}`),
        waitStackDeleted: async (name) => (calls.push(`wait ${name}`), { ok: true }),
        waitFunctionActive: async () => ({ ok: true }),
        accountConcurrency: async () => ({ limit: 1000, unreserved: 1000 }),
      };
      const code = await runSweep({
        args,
        env: { HARNESS_AWS_ACCOUNT: '123456789012', AWS_REGION: 'eu-west-1' },
        aws: () => aws,
        out: () => {},
        err: () => {},
        now: () => new Date('2026-11-25T03:40:00Z'),
      });
      expect(code).toBe(0);
      expect(calls).toEqual([`delete harness-${runId}`, `wait harness-${runId}`]);
    });
  });
});
