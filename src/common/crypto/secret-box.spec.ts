import { AppConfig } from '../../config/app-config';
import { SecretBox } from './secret-box';

const config = (hex: string) => ({ secrets: { encryptionKey: Buffer.from(hex, 'hex') } }) as unknown as AppConfig;
const box = new SecretBox(config('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'));

describe('SecretBox', () => {
  it('round-trips, with a fresh IV each time and ciphertext unlike the plaintext', () => {
    const a = box.seal('kw_live_secret', 'record-1');
    const b = box.seal('kw_live_secret', 'record-1');
    expect(box.open(a, 'record-1')).toBe('kw_live_secret');
    expect(a.iv.equals(b.iv)).toBe(false);
    expect(a.ciphertext.toString('utf8')).not.toContain('secret');
  });

  it('refuses altered ciphertext, another record, and another key', () => {
    const sealed = box.seal('kw_live_secret', 'record-1');
    const altered = { ...sealed, ciphertext: Buffer.from(sealed.ciphertext) };
    altered.ciphertext[0] ^= 1;
    expect(() => box.open(altered, 'record-1')).toThrow();
    expect(() => box.open(sealed, 'record-2')).toThrow();
    const other = new SecretBox(config('ff'.repeat(32)));
    expect(() => other.open(sealed, 'record-1')).toThrow(/unknown encryption key/);
  });
});
