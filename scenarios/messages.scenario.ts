import { describe, expect, it } from 'vitest';
import { call, env, listAll, messageFile, storedFiles } from './support/env.ts';

interface Stored {
  id: string;
  text: string;
  createdAt: string;
}

async function post(text: string): Promise<{ id: string; createdAt: string }> {
  const reply = await call('POST', '/messages', { body: JSON.stringify({ text }) });
  expect(reply.status, reply.text).toBe(201);
  return reply.json();
}

describe('messages: write, read and list through the API, checked on the file system', () => {
  it('should store a posted message as its own file with the exact bytes', async () => {
    const text = `hello EFS ✓ ${Date.now()}`;
    const { id, createdAt } = await post(text);
    // messages/<3 hex>/<3 hex>/<3 hex>/<id>.json: the first nine hex digits of the id's time (UUID v7).
    const hex = id.slice(0, 8) + id.slice(9, 13);
    const file = `messages/${hex.slice(0, 3)}/${hex.slice(3, 6)}/${hex.slice(6, 9)}/${id}.json`;
    expect(await storedFiles()).toContain(file);
    const bytes = await env.files.read(file);
    expect(bytes.toString('utf8')).toBe(JSON.stringify({ id, text, createdAt }));
  });

  it('should answer 201 with a location header that leads back to the message', async () => {
    const reply = await call('POST', '/messages', { body: JSON.stringify({ text: 'located' }) });
    expect(reply.status).toBe(201);
    const { id } = reply.json<{ id: string }>();
    expect(reply.headers.location).toBe(`/messages/${id}`);
    const read = await call('GET', `/messages/${id}`);
    expect(read.status).toBe(200);
    expect(read.json<Stored>()).toMatchObject({ id, text: 'located' });
  });

  it('should read back non-ASCII text unchanged', async () => {
    const text = 'こんにちは, EFS! 🚀 "quotes" \\ backslash\nnewline';
    const { id } = await post(text);
    const read = await call('GET', `/messages/${id}`);
    expect(read.json<Stored>().text).toBe(text);
  });

  it('should list stored messages, oldest first', async () => {
    const first = await post('list-first');
    const second = await post('list-second');
    const ids = (await listAll()).messages.map((m) => m.id);
    expect(ids).toContain(first.id);
    expect(ids.indexOf(first.id)).toBeLessThan(ids.indexOf(second.id));
  });

  it('should answer 404 for an id of the right shape that was never written', async () => {
    const reply = await call('GET', '/messages/00000000-0000-4000-8000-000000000000');
    expect(reply.status).toBe(404);
    expect(reply.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('should accept a base64-encoded body (a binary content type makes API Gateway encode it)', async () => {
    const reply = await call('POST', '/messages', {
      body: Buffer.from(JSON.stringify({ text: 'sent as octets' })),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(reply.status, reply.text).toBe(201);
    const { id } = reply.json<{ id: string }>();
    const stored = JSON.parse((await env.files.read(messageFile(id))).toString('utf8')) as Stored;
    expect(stored.text).toBe('sent as octets');
  });
});
