import { describe, expect, it } from 'vitest';
import { Cleanup } from './cleanup.ts';

describe('Cleanup', () => {
  it('should run removals newest first, once', async () => {
    const order: string[] = [];
    const cleanup = new Cleanup();
    cleanup.add('a', () => void order.push('a'));
    cleanup.add('b', () => void order.push('b'));
    await Promise.all([cleanup.run(), cleanup.run()]);
    await cleanup.run();
    expect(order).toEqual(['b', 'a']);
  });

  it('should go on after a failing removal and report it by name', async () => {
    const cleanup = new Cleanup();
    let ranFirst = false;
    cleanup.add('first', () => {
      ranFirst = true;
    });
    cleanup.add('container abc', () => {
      throw new Error('gone already');
    });
    const errors = await cleanup.run();
    expect(ranFirst).toBe(true);
    expect(errors.map((e) => e.message)).toEqual(['cleanup of container abc failed: gone already']);
  });

  it('should let a part be removed early, and not again at the end', async () => {
    const cleanup = new Cleanup();
    let runs = 0;
    const removeNow = cleanup.add('folder', () => {
      runs++;
    });
    await removeNow();
    await cleanup.run();
    expect(runs).toBe(1);
    expect(cleanup.size).toBe(0);
  });

  it('should remove at once what is added after close (a start still in flight when interrupted)', async () => {
    const cleanup = new Cleanup();
    const removed: string[] = [];
    cleanup.add('early', () => void removed.push('early'));
    const closing = cleanup.close();
    cleanup.add('late', async () => {
      await new Promise((r) => setTimeout(r, 20));
      removed.push('late');
    });
    await closing;
    expect(removed).toEqual(['early', 'late']);
    expect(cleanup.size).toBe(0);
  });
});
