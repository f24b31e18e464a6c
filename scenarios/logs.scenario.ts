import { describe, expect, it } from 'vitest';
import { call, env } from './support/env.ts';

describe("the function's log lines", () => {
  it('should include a line for a request the API served', async () => {
    const reply = await call('GET', '/health');
    expect(reply.status).toBe(200);
    // Logs reach CloudWatch with a delay on LocalStack and AWS: poll, bounded by the test timeout.
    await expect
      .poll(async () => (await env.logs()).join('\n'), { timeout: env.info.target === 'local' ? 2_000 : 60_000, interval: 500 })
      .toMatch(/GET \/health/);
  });
});
