import { describe, expect, it } from 'vitest';
import { call, storedFiles } from './support/env.ts';

/** Sends a request and checks the clear JSON error and that the file system did not change. */
async function expectRejected(request: () => ReturnType<typeof call>, status: number, code: string): Promise<void> {
  const before = await storedFiles();
  const reply = await request();
  expect(reply.status, reply.text).toBe(status);
  expect(reply.headers['content-type']).toMatch(/^application\/json/);
  const body = reply.json<{ error: { code: string; message: string } }>();
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(10);
  expect(await storedFiles()).toEqual(before);
}

const post = (body: string | Buffer) => () => call('POST', '/messages', { body });

describe('bad input gets a clear error and writes nothing', () => {
  it('should reject invalid JSON with 400 invalid_json', () => expectRejected(post('{"text": '), 400, 'invalid_json'));
  it('should reject a body without text with 400 invalid_text', () => expectRejected(post('{"message": "hi"}'), 400, 'invalid_text'));
  it('should reject a non-string text with 400 invalid_text', () => expectRejected(post('{"text": 42}'), 400, 'invalid_text'));
  it('should reject an empty text with 400 invalid_text', () => expectRejected(post('{"text": ""}'), 400, 'invalid_text'));
  it('should reject a JSON array with 400 invalid_text', () => expectRejected(post('["text"]'), 400, 'invalid_text'));
  it('should reject an empty body with 400', () => expectRejected(post(''), 400, 'invalid_json'));
  it('should reject a body over the limit with 413 body_too_large', () =>
    expectRejected(post(JSON.stringify({ text: 'x'.repeat(70 * 1024) })), 413, 'body_too_large'));

  it.each(['..', '%2e%2e'])("should never let the id %s reach outside messages/: the URL normalizes out of the route, API Gateway answers 404", async (id) => {
    const before = await storedFiles();
    const reply = await call('GET', `/messages/${id}`);
    expect(reply.status).toBe(404);
    expect(await storedFiles()).toEqual(before);
  });

  it.each([
    '..%2F..%2Fetc%2Fpasswd',
    'not-an-id',
    '00000000-0000-4000-8000-00000000000G',
    '00000000-0000-4000-8000-000000000000.json',
    'ABCDEF00-0000-4000-8000-000000000000',
    '%00',
  ])('should reject the hostile or malformed id %s with 400 invalid_id', (id) =>
    expectRejected(() => call('GET', `/messages/${id}`), 400, 'invalid_id'),
  );
});
