import { describe, expect, it } from 'vitest';
import { linkify } from './linkify.js';

describe('linkify', () => {
  it('turns web addresses into links and leaves the rest as text', () => {
    expect(linkify('see https://example.org/a?b=1, then http://x.test/.')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.org/a?b=1', href: 'https://example.org/a?b=1' },
      { kind: 'text', text: ', then ' },
      { kind: 'link', text: 'http://x.test/', href: 'http://x.test/' },
      { kind: 'text', text: '.' },
    ]);
  });

  it('never links other schemes, and keeps markup as plain text', () => {
    const parts = linkify('javascript:alert(1) <a href="https://evil.test">x</a>');
    expect(parts.filter((part) => part.kind === 'link')).toEqual([{ kind: 'link', text: 'https://evil.test', href: 'https://evil.test/' }]);
    expect(parts.map((part) => part.text).join('')).toBe('javascript:alert(1) <a href="https://evil.test">x</a>');
  });

  it('drops closing punctuation from the end of a link', () => {
    expect(linkify('(https://example.org/page)')).toEqual([
      { kind: 'text', text: '(' },
      { kind: 'link', text: 'https://example.org/page', href: 'https://example.org/page' },
      { kind: 'text', text: ')' },
    ]);
  });

  it('links as well where URL.canParse does not exist (Safari before 17)', () => {
    const canParse = URL.canParse;
    delete (URL as { canParse?: unknown }).canParse;
    try {
      expect(linkify('see https://example.org/a and http://[bad')).toEqual([
        { kind: 'text', text: 'see ' },
        { kind: 'link', text: 'https://example.org/a', href: 'https://example.org/a' },
        { kind: 'text', text: ' and http://[bad' },
      ]);
    } finally {
      URL.canParse = canParse;
    }
  });
});
