import { describe, expect, it } from 'vitest';
import { call, env, listAll, messageFile, scale } from './support/env.ts';

// 240 messages on local (HARNESS_SCALE=1), 30 on LocalStack and AWS by default; pages of a sixth of that.
const COUNT = Math.max(30, Math.round(240 * scale));
const LIMIT = Math.ceil(COUNT / 6);
const WRITERS = 20;

interface Stored {
  id: string;
  text: string;
  createdAt: string;
}

async function postAll(texts: string[]): Promise<string[]> {
  const ids: string[] = new Array(texts.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (next < texts.length) {
        const i = next++;
        const reply = await call('POST', '/messages', { body: JSON.stringify({ text: texts[i] }) });
        expect(reply.status, reply.text).toBe(201);
        ids[i] = reply.json<{ id: string }>().id;
      }
    }),
  );
  return ids;
}

describe(`paging through ${COUNT} messages, ${LIMIT} a page`, () => {
  it('should return every message exactly once, in order, also while more are written, with the files holding the exact bytes', async () => {
    const run = `paging ${Date.now()}`;
    const before = await postAll(Array.from({ length: COUNT }, (_, i) => `${run} #${i}`));

    // One more message posted after each page: new ones appear on later pages, none twice.
    const during: Promise<string[]>[] = [];
    const { messages, pages } = await listAll(LIMIT, async () => {
      during.push(postAll([`${run} during #${during.length}`]));
      await during.at(-1);
    });
    const duringIds = (await Promise.all(during)).flat();

    const ids = messages.map((m) => m.id);
    expect(new Set(ids).size, 'a message came twice').toBe(ids.length);
    expect([...ids].sort(), 'pages are not oldest first').toEqual(ids);
    const returned = new Set(ids);
    expect(before.filter((id) => !returned.has(id)), 'messages stored before paging began are missing').toEqual([]);
    // Each was posted (201) before the next page was asked for, and the last page reads to the end.
    expect(duringIds.filter((id) => !returned.has(id)), 'messages posted while paging are missing').toEqual([]);
    expect(pages).toBeGreaterThan(COUNT / LIMIT);

    const byId = new Map(messages.map((m) => [m.id, m]));
    for (const id of [before[0]!, before[Math.floor(COUNT / 2)]!, before.at(-1)!, duringIds[0]!]) {
      const bytes = (await env.files.read(messageFile(id))).toString('utf8');
      expect(bytes).toBe(JSON.stringify(byId.get(id) as Stored));
    }
    // Posting is what takes time on local: one execution environment per concurrent request, on a shared machine.
  }, env.info.target === 'local' ? 60_000 : undefined);

  it('should answer 400 with a JSON error for a bad limit or cursor', async () => {
    for (const [query, code] of [
      ['limit=0', 'invalid_limit'],
      ['limit=1001', 'invalid_limit'],
      ['limit=abc', 'invalid_limit'],
      ['cursor=not-a-cursor', 'invalid_cursor'],
    ]) {
      const reply = await call('GET', `/messages?${query}`);
      expect(reply.status, `${query}: ${reply.text}`).toBe(400);
      expect(reply.json()).toMatchObject({ error: { code } });
    }
  });
});
