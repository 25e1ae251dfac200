import { DomainError } from '../common/errors/domain-error';
import { createValidationPipe } from '../common/http/validation.pipe';
import { VerifyKeyDto } from './dto/verify.dto';
import { VerifyBodyPipe } from './verify-body.pipe';

const pipe = new VerifyBodyPipe();
const fullValidation = createValidationPipe();
const viaDto = (body: unknown) => fullValidation.transform(body, { type: 'body', metatype: VerifyKeyDto });

const wellFormed: object[] = [
  { key: 'kw_live_abc' },
  { key: '' },
  { key: 'k'.repeat(65536) },
  { key: 'k', permissions: ['orders:read', 'admin:*', '*'] },
  { key: 'k', permissions: [] },
  { key: 'k', permissionQuery: 'a:b AND (c:d OR e:f)' },
  { key: 'k', ip: '203.0.113.7' },
  { key: 'k', ip: '2001:db8::1', permissions: ['a:b'], permissionQuery: 'a:b' },
];

const malformed: unknown[] = [
  null,
  [],
  'kw_live_abc',
  {},
  { key: 42 },
  { key: null },
  { key: 'k'.repeat(65537) },
  { key: 'k', extra: true },
  { key: 'k', permissions: 'orders:read' },
  { key: 'k', permissions: ['Not A Permission'] },
  { key: 'k', permissions: Array.from({ length: 51 }, (_, i) => `r${i}:read`) },
  { key: 'k', permissionQuery: 'x'.repeat(1001) },
  { key: 'k', ip: '999.1.1.1' },
  { key: 'k', ip: 7 },
];

describe('VerifyBodyPipe', () => {
  it.each(wellFormed)('passes a well-formed body through untouched, as the DTO would accept it: %j', async (body) => {
    await expect(pipe.transform(body)).resolves.toBe(body);
    await expect(viaDto(body)).resolves.toBeInstanceOf(VerifyKeyDto);
  });

  it.each(malformed)('answers anything else exactly as the global validation pipe does: %j', async (body) => {
    const outcome = (result: Promise<unknown>) =>
      result.then(
        () => 'accepted',
        (error: DomainError) => ({ code: error.code, message: error.message, details: error.details }),
      );
    const expected = await outcome(viaDto(body));
    const actual = await outcome(pipe.transform(body));
    expect(actual).toEqual(expected);
    expect(actual).not.toBe('accepted');
  });

  it('leaves a `__proto__` field to the full validation, which drops it without polluting anything', async () => {
    const result = await pipe.transform(JSON.parse('{"key":"k","__proto__":{"polluted":true}}'));
    expect(result).toBeInstanceOf(VerifyKeyDto);
    expect((result as unknown as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('leaves null optional fields to the full validation, which accepts them like absent ones', async () => {
    const body = { key: 'k', permissions: null, ip: null };
    const result = await pipe.transform(body);
    expect(result).toBeInstanceOf(VerifyKeyDto);
    expect(result.key).toBe('k');
  });
});
