import { describe, expect, it } from 'vitest';
import { call, env } from './support/env.ts';

describe('health route: GET /health', () => {
  it('should answer 200 with the mount path the function sees', async () => {
    const reply = await call('GET', '/health');
    expect(reply.status).toBe(200);
    expect(reply.json()).toMatchObject({ status: 'ok' });
  });

  it('should leave no probe file behind in the mount', async () => {
    await call('GET', '/health');
    const leftovers = (await env.files.list()).filter((name) => name !== 'messages');
    expect(leftovers).toEqual([]);
  });
});
