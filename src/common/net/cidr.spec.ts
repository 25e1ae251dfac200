import { isIpAllowed, parseCidr, parseCidrList, parseIp } from './cidr';

describe('cidr', () => {
  const ranges = parseCidrList('10.0.0.0/8, 192.168.1.7, 2001:db8::/32')!;

  it.each([
    ['10.1.2.3', true],
    ['11.0.0.1', false],
    ['192.168.1.7', true],
    ['192.168.1.8', false],
    ['2001:db8::1', true],
    ['2001:db9::1', false],
    ['::ffff:10.9.9.9', true],
    ['::ffff:11.9.9.9', false],
  ])('%s allowed=%s', (ip, expected) => {
    expect(isIpAllowed(parseIp(ip), ranges)).toBe(expected);
  });

  it('allows everything with an empty list and nothing unparseable with a list', () => {
    expect(isIpAllowed(parseIp('8.8.8.8'), [])).toBe(true);
    expect(isIpAllowed(undefined, ranges)).toBe(false);
  });

  it('rejects malformed ranges', () => {
    for (const bad of ['10.0.0.0/33', '10.0.0', 'fe80::/129', 'abc', '1.2.3.4/-1', 'x'.repeat(100)]) {
      expect(parseCidr(bad)).toBeUndefined();
    }
    expect(parseCidrList('10.0.0.0/8,nope')).toBeUndefined();
    expect(parseCidrList('')).toEqual([]);
  });

  it('treats an IPv4-mapped IPv6 range as IPv4', () => {
    const [mapped] = parseCidrList('::ffff:10.0.0.0/104')!;
    expect(isIpAllowed(parseIp('10.200.0.1'), [mapped])).toBe(true);
  });
});
