import { describe, expect, inject, it } from 'vitest';
import { gatherFacts } from './checks.ts';
import { doctorReport } from './report.ts';

const images = inject('dockerImages');

/**
 * `npm run doctor`'s Docker rows against the real engine (the unit tests feed it recorded answers). Nothing is
 * faked: the Engine API answers are the engine's own (Source: docs.docker.com/reference/api/engine/version/v1.41/).
 */
describe('npm run doctor with a real engine', () => {
  const row = async (env: NodeJS.ProcessEnv, name: string) => {
    const report = await doctorReport(await gatherFacts(env), env);
    return report.checks.find((c) => c.name === name);
  };

  it('should say whether the LocalStack image is on the engine, not just print its name', async () => {
    expect(await row({ HARNESS_LOCALSTACK_IMAGE: images.standin }, 'LocalStack image')).toMatchObject({ ok: true, detail: `${images.standin} (on this engine)` });
    const absent = await row({ HARNESS_LOCALSTACK_IMAGE: 'harness-local/no-such-image:1' }, 'LocalStack image');
    expect(absent?.ok).toBe(false);
    expect(absent?.detail).toContain('is not on this engine');
    expect(absent?.detail).toContain('docker load');
  });

  it('should find the placement by trying it, as the localstack target does, and name the networks and Ryuk', async () => {
    const env = { HARNESS_LOCALSTACK_IMAGE: images.standin };
    const facts = await gatherFacts(env);
    expect(facts.docker.placementWhy).toMatch(/a container of harness-local\/localstack-standin:1 saw a file the harness wrote/);
    expect(facts.docker.placement).toBe('local');
    const networks = (await doctorReport(facts, env)).checks.find((c) => c.name === 'Docker networks')!;
    expect(networks.detail).toContain(facts.docker.engineFacts!.networks.join(', '));
    if (!facts.docker.engineFacts!.networks.includes('bridge')) expect(networks.detail).toContain('Ryuk cannot run');
  });
});
