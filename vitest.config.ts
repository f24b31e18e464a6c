import { defineConfig } from 'vitest/config';

// Scenario timeouts follow the target: a local run answers in milliseconds, a VPC Lambda on AWS can take
// minutes to leave `Pending`.
const target = process.env.HARNESS_TARGET ?? 'local';
const scenarioTimeoutMs = { local: 20_000, localstack: 120_000, endpoint: 120_000, aws: 300_000 }[target] ?? 120_000;

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['infra/**/*.test.ts', 'handler/**/*.test.ts', 'harness/**/*.test.ts'],
          // The Docker tier is its own command (npm run test:docker): `npm test` needs no Docker.
          exclude: ['**/node_modules/**', '**/*.docker.test.ts', '**/*.ric.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // @actions/workflow-parser imports its JSON schema without `with { type: 'json' }`, which Node refuses
          // (actions/languageservices#387): let Vite load that package instead.
          server: { deps: { inline: ['@actions/workflow-parser'] } },
        },
      },
      {
        test: {
          // npm run test:docker: against a real Docker engine, never a mock of its API.
          // *.ric.test.ts: the real Lambda runtime client (aws-lambda-ric), which `npm run images` builds.
          name: 'docker',
          include: ['harness/**/*.docker.test.ts', 'harness/**/*.ric.test.ts'],
          globalSetup: ['harness/test-support/docker-tier.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // One engine, a fixed LocalStack port per test and a before/after comparison: files one after another.
          fileParallelism: false,
        },
      },
      {
        test: {
          // npm run test:container: the scenarios on `local` in container mode (the Lambda image, the real runtime
          // client), with the Docker tier's image build and leak check around them.
          name: 'scenarios-container',
          include: ['scenarios/**/*.scenario.ts'],
          globalSetup: ['harness/test-support/docker-tier.ts', 'scenarios/support/global-setup-container.ts'],
          setupFiles: ['scenarios/support/artifacts.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'scenarios',
          include: ['scenarios/**/*.scenario.ts'],
          globalSetup: ['scenarios/support/global-setup.ts'],
          setupFiles: ['scenarios/support/artifacts.ts'],
          testTimeout: scenarioTimeoutMs,
          hookTimeout: scenarioTimeoutMs,
          // One target serves every file, and some scenarios check that nothing was written or take the file
          // system away: files run one after another so that each sees only its own effects.
          fileParallelism: false,
        },
      },
    ],
  },
});
