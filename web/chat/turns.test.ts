import { describe, expect, it } from 'vitest';
import { Turns } from './turns.js';

describe('Turns', () => {
  it('runs the work for one device one at a time, in order, going on after a failure', async () => {
    const turns = new Turns();
    const done: string[] = [];
    const first = turns.run('alice', async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      done.push('first');
      throw new Error('lost');
    });
    const second = turns.run('alice', async () => {
      done.push('second');
    });
    await expect(first).rejects.toThrow('lost');
    await second;
    expect(done).toEqual(['first', 'second']);
  });

  it('does not hold one device behind another', async () => {
    const turns = new Turns();
    const done: string[] = [];
    let release = () => {};
    const slow = turns.run('alice', () => new Promise<void>((resolve) => (release = resolve)));
    await turns.run('bob', async () => {
      done.push('bob');
    });
    expect(done).toEqual(['bob']);
    release();
    await slow;
  });
});
