import { describe, expect, it } from 'vitest';
import { DisplayNameSchema } from '../../signal/protocol/messages.js';
import * as v from 'valibot';
import { looksLike, nameSkeleton } from './name-skeleton.js';

describe('nameSkeleton', () => {
  it('gives the same skeleton to names that look alike', () => {
    for (const disguise of ['Bob', 'bob', 'BOB', 'Bob\u200B', 'B\u2060ob', '\uFEFFBob', 'Bo\u200Eb', 'Воb', 'Вοb', 'Ｂｏｂ', 'B̈ob', 'Bob ', 'B\u{1D428}b'.normalize('NFKC')]) {
      expect(looksLike(disguise, 'Bob'), JSON.stringify(disguise)).toBe(true);
    }
    expect(looksLike('Alice', 'AIice')).toBe(true);
    expect(looksLike('Alice', 'A1ice')).toBe(true);
    expect(looksLike('Mike', 'rnike')).toBe(true);
    expect(looksLike('Owen', 'Ovven')).toBe(true);
    expect(looksLike('Anna Lee', 'Anna  Lee')).toBe(true);
  });

  it('keeps names that look different apart', () => {
    expect(looksLike('Bob', 'Rob')).toBe(false);
    expect(looksLike('Bob', 'Bobby')).toBe(false);
    expect(looksLike('Анна', 'Ада')).toBe(false);
    expect(nameSkeleton('李雷')).toBe('李雷');
    expect(looksLike('👩‍💻 Ada', '👩 Ada')).toBe(false);
  });
});

describe('display names (the shared schema)', () => {
  it('refuses invisible characters that would make a name pass for another', () => {
    for (const name of ['Bob\u200B', 'B\u2060ob', 'Bo\uFEFFb', 'Bo\u200Eb', 'Bob\u200F', 'Bob\u3164', '\u3164', 'Bob\u00AD', 'Bo\u034Fb', 'Bob\u2800', 'Bob\u115F', 'Bob\uFFA0']) {
      expect(v.safeParse(DisplayNameSchema, name).success, JSON.stringify(name)).toBe(false);
    }
  });

  it('keeps what real names and emoji need: joiners, variation selectors, flag tags, marks', () => {
    for (const name of ['👩‍💻 Ada', '❤️ Lin', 'مریم‌', 'José', 'Zoë', '🏴󠁧󠁢󠁳󠁣󠁴󠁿 Iain', 'नमस्ते', '李雷']) {
      expect(v.safeParse(DisplayNameSchema, name).success, JSON.stringify(name)).toBe(true);
    }
  });
});
