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
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // @actions/workflow-parser imports its JSON schema without `with { type: 'json' }`, which Node refuses
          // (actions/languageservices#387): let Vite load that package instead.
          server: { deps: { inline: ['@actions/workflow-parser'] } },
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
