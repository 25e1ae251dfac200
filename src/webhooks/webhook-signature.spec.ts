import { createHmac } from 'node:crypto';
import { generateWebhookSecret, signatureHeader } from './webhook-signature';

describe('webhook signature', () => {
  it('signs "<t>.<body>" with HMAC-SHA256 under the secret', () => {
    const body = '{"id":"1","type":"key.created"}';
    const expected = createHmac('sha256', 'whsec_test').update(`1700000000.${body}`).digest('hex');
    expect(signatureHeader('whsec_test', 1700000000, body)).toBe(`t=1700000000,v1=${expected}`);
  });

  it('generates distinct base64url secrets of 32 bytes', () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(generateWebhookSecret()).not.toBe(a);
  });
});
