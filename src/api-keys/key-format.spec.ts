import fc from 'fast-check';
import { base62Width, generateKey, MAX_KEY_LENGTH, parseKey } from './key-format';

describe('key format', () => {
  it('generates keys that parse, with start and last4 for display', () => {
    const key = generateKey('kw', 'live', 32);
    expect(key).toMatch(/^kw_live_[0-9A-Za-z]{49}$/);
    expect(parseKey(key, 'kw')).toEqual({ prefix: 'kw', environment: 'live', start: key.slice(0, 12), last4: key.slice(-4) });
  });

  it('uses the configured number of random bytes', () => {
    for (const bytes of [16, 32, 64]) {
      const key = generateKey('acme', 'test', bytes);
      expect(key.length).toBe('acme_test_'.length + base62Width(bytes) + 6);
      expect(parseKey(key, 'acme')).toBeDefined();
      expect(key.length).toBeLessThanOrEqual(MAX_KEY_LENGTH);
    }
  });

  it('never repeats', () => {
    const keys = new Set(Array.from({ length: 1000 }, () => generateKey('kw', 'live', 16)));
    expect(keys.size).toBe(1000);
  });

  it('rejects every single-character change (checksum)', () => {
    const key = generateKey('kw', 'live', 32);
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    for (let i = 8; i < key.length; i++) {
      const replacement = alphabet[(alphabet.indexOf(key[i]) + 7) % 62];
      expect(parseKey(key.slice(0, i) + replacement + key.slice(i + 1), 'kw')).toBeUndefined();
    }
  });

  it.each([
    ['empty', ''],
    ['other prefix', generateKey('xx', 'live', 32)],
    ['no environment', 'kw__abc'],
    ['truncated', generateKey('kw', 'live', 32).slice(0, -1)],
    ['10 KB', 'kw_live_' + 'a'.repeat(10_240)],
    ['upper-case environment', generateKey('kw', 'LIVE', 32)],
  ])('rejects %s', (_, candidate) => {
    expect(parseKey(candidate, 'kw')).toBeUndefined();
  });

  it('rejects non-strings and arbitrary input without throwing', () => {
    expect(parseKey(undefined, 'kw')).toBeUndefined();
    expect(parseKey(42, 'kw')).toBeUndefined();
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => parseKey(s, 'kw') === undefined || s.startsWith('kw_')));
  });
});
