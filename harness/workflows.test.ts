import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROJECT_ROOT } from './run.ts';

// The workflows cannot run here: these tests hold them to what they promise (jobs, guards, permissions, no keys).

interface Step {
  readonly name?: string;
  readonly id?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, string>;
}

interface Job {
  readonly if?: string;
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
    const workflow = load(file);
    const conditions = Object.values(workflow.jobs).flatMap((job) => [job.if ?? '', ...job.steps.map((s) => s.if ?? '')]);
    expect(conditions.filter((c) => c.includes('secrets.'))).toEqual([]);
  });

  it('should set up Node from .nvmrc in every job that installs dependencies', () => {
    for (const job of Object.values(load(file).jobs).filter((j) => runs(j).includes('npm ci'))) {
      expect(step(job, 'actions/setup-node')?.with?.['node-version-file']).toBe('.nvmrc');
    }
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
    expect(commands).toContain('npm ci');
    expect(commands).toContain('npm test');
    expect(commands.indexOf('npm ci')).toBeLessThan(commands.indexOf('npm test'));
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
    // A same-repository pull request's commit triggers both events; only `push` runs the LocalStack jobs.
    for (const name of ['localstack-token', 'scenarios-localstack']) {
      expect(ci.jobs[name]!.if, name).toMatch(/^github\.event_name == 'push'(?: && |$)/);
    }
  });

  it('should upload the run folders and JUnit XML when the LocalStack scenarios fail', () => {
    const upload = step(ci.jobs['scenarios-localstack']!, 'actions/upload-artifact')!;
    expect(upload.if).toBe('failure()');
    expect(String(upload.with?.path)).toContain('.harness/runs/');
    expect(String(upload.with?.path)).toContain('junit.xml');
    // `.harness` is hidden: without this the artifact would be empty.
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

  it.each(['smoke', 'sweep'])('should give the %s job an OIDC role, never keys', (name) => {
    const job = smoke.jobs[name]!;
    expect(job.permissions?.['id-token']).toBe('write');
    const credentials = step(job, 'aws-actions/configure-aws-credentials')!;
    expect(credentials.with?.['role-to-assume']).toBe('${{ vars.AWS_ROLE_ARN }}');
    expect(credentials.with?.['aws-region']).toBeTruthy();
    expect(credentials.with?.['allowed-account-ids']).toBe('${{ vars.HARNESS_AWS_ACCOUNT }}');
    expect(Object.keys(credentials.with ?? {}).filter((k) => k.startsWith('aws-access') || k.startsWith('aws-secret'))).toEqual([]);
    expect(job.env?.HARNESS_AWS_ACCOUNT).toBe('${{ vars.HARNESS_AWS_ACCOUNT }}');
  });

  it('should run the scenarios on the aws target, one run at a time, bounded in time', () => {
    const job = smoke.jobs.smoke!;
    expect(job.env?.HARNESS_TARGET).toBe('aws');
    expect(runs(job)).toContain('npm run scenarios');
    expect(job.concurrency).toEqual({ group: 'aws-smoke', 'cancel-in-progress': false });
    expect(job['timeout-minutes']).toBeGreaterThanOrEqual(90);
    // Credentials must outlive the slowest teardown.
    expect(Number(step(job, 'aws-actions/configure-aws-credentials')!.with?.['role-duration-seconds'])).toBeGreaterThanOrEqual(job['timeout-minutes']! * 60);
  });
});
