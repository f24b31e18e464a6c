import { afterEach, describe, expect, it } from 'vitest';
import type { FaultName } from '../harness/core/environment.ts';
import { call, env, listAll, messageFile } from './support/env.ts';

// What an HTTP API answers when its Lambda integration fails (crash, timeout, unreadable result).
const INTERNAL_ERROR = { message: 'Internal Server Error' };

let restore: (() => Promise<void>) | undefined;
afterEach(async () => {
  await restore?.();
  restore = undefined;
});

async function inject(fault: FaultName): Promise<void> {
  restore = await env.inject(fault);
}

const cannot = (fault: FaultName) => `the ${env.info.target} target cannot inject ${fault}`;

async function postMessage(text: string): Promise<string> {
  const reply = await call('POST', '/messages', { body: JSON.stringify({ text }) });
  expect(reply.status, reply.text).toBe(201);
  return reply.json<{ id: string }>().id;
}

describe('faults', () => {
  describe.skipIf(!env.canInject('mount-missing'))(`the file system disappears${env.canInject('mount-missing') ? '' : ` (skipped: ${cannot('mount-missing')})`}`, () => {
    it('should turn /health to 503 while the mount is gone and back to 200 after, losing nothing', async () => {
      const before = await postMessage('written before the mount went away');
      const bytesBefore = await env.files.read(messageFile(before));

      await inject('mount-missing');
      const down = await call('GET', '/health');
      expect(down.status).toBe(503);
      expect(down.json()).toMatchObject({ status: 'unavailable', error: { code: 'mount_unavailable' } });
      const refused = await call('POST', '/messages', { body: JSON.stringify({ text: 'while the mount is gone' }) });
      expect(refused.status).toBe(503);

      await restore!();
      restore = undefined;
      expect((await call('GET', '/health')).status).toBe(200);
      expect(await env.files.read(messageFile(before))).toEqual(bytesBefore);
      const listed = (await listAll()).messages.map((m) => m.text);
      expect(listed).not.toContain('while the mount is gone');
    });
  });

  describe.skipIf(!env.canInject('function-crash'))(`the function crashes${env.canInject('function-crash') ? '' : ` (skipped: ${cannot('function-crash')})`}`, () => {
    it("should give clients API Gateway's 500 and keep earlier messages intact", async () => {
      const before = await postMessage('written before the crash');
      await inject('function-crash');
      const reply = await call('GET', '/myHelloVPCLambda');
      expect(reply.status).toBe(500);
      expect(reply.json()).toEqual(INTERNAL_ERROR);
      await restore!();
      restore = undefined;
      expect((await call('GET', `/messages/${before}`)).json()).toMatchObject({ id: before, text: 'written before the crash' });
    });
  });

  describe.skipIf(!env.canInject('function-timeout'))(`the function runs past its timeout${env.canInject('function-timeout') ? '' : ` (skipped: ${cannot('function-timeout')})`}`, () => {
    it("should give clients API Gateway's 500 once the function's timeout kills it", async () => {
      await inject('function-timeout');
      const started = Date.now();
      const reply = await call('GET', '/myHelloVPCLambda');
      expect(reply.status).toBe(500);
      expect(reply.json()).toEqual(INTERNAL_ERROR);
      // Killed by the function's timeout from the template, not earlier.
      expect(Date.now() - started).toBeGreaterThanOrEqual(env.info.functionTimeoutSeconds * 1000 - 100);
      await restore!();
      restore = undefined;
      expect((await call('GET', '/myHelloVPCLambda')).status).toBe(200);
    });
  });
});
