import { describe, expect, it } from 'vitest';
import { concurrentWriters } from '../harness/targets/aws/concurrency.ts';
import { call, env, messageFile, storedFiles } from './support/env.ts';

// 100 writers, fewer only where the account's Lambda concurrency could not serve them at once (aws).
const { writers: WRITERS, note } = concurrentWriters(env.info);
if (note) console.info(`concurrency scenario: ${note}`);

describe('concurrent writers', () => {
  it(`should keep all ${WRITERS} messages posted at once, intact and distinct${note ? ` (${note})` : ''}`, async () => {
    const texts = Array.from({ length: WRITERS }, (_, i) => `concurrent #${i} ${'·'.repeat(i)}`);
    const replies = await Promise.all(texts.map((text) => call('POST', '/messages', { body: JSON.stringify({ text }) })));
    expect(replies.map((r) => r.status)).toEqual(Array(WRITERS).fill(201));
    const ids = replies.map((r) => r.json<{ id: string }>().id);
    expect(new Set(ids).size).toBe(WRITERS);

    const files = await storedFiles();
    // No temporary file left behind (they are dot-named or in messages/.pending/).
    expect(files.filter((file) => file.includes('/.'))).toEqual([]);
    for (const [i, id] of ids.entries()) {
      expect(files).toContain(messageFile(id));
      const stored = JSON.parse((await env.files.read(messageFile(id))).toString('utf8')) as { id: string; text: string };
      expect(stored).toMatchObject({ id, text: texts[i] });
    }
  });
});
