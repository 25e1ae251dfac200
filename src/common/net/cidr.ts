import ipaddr from 'ipaddr.js';

export type ParsedIp = ipaddr.IPv4 | ipaddr.IPv6;
export type CidrRange = [ParsedIp, number];

/** Parses an address, folding IPv4-mapped IPv6 (`::ffff:10.0.0.1`) to plain IPv4. */
export function parseIp(value: string): ParsedIp | undefined {
  if (value.length > 64 || !isStrictAddress(value)) return undefined;
  const ip = ipaddr.parse(value);
  return ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress() ? (ip as ipaddr.IPv6).toIPv4Address() : ip;
}

/** Parses `10.0.0.0/8` or a bare address (a /32 or /128). Undefined when invalid. */
export function parseCidr(value: string): CidrRange | undefined {
  const text = value.trim();
  if (text.length > 64) return undefined;
  try {
    if (text.includes('/')) {
      if (!isStrictAddress(text.slice(0, text.indexOf('/')))) return undefined;
      const [ip, bits] = ipaddr.parseCIDR(text);
      return ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96
        ? [(ip as ipaddr.IPv6).toIPv4Address(), bits - 96]
        : [ip, bits];
    }
    const ip = parseIp(text);
    return ip ? [ip, ip.kind() === 'ipv4' ? 32 : 128] : undefined;
  } catch {
    return undefined;
  }
}

/** Parses a comma-separated list; an empty string is an empty list, any bad entry undefined. */
export function parseCidrList(value: string): CidrRange[] | undefined {
  const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
  const ranges = entries.map(parseCidr);
  return ranges.every((range): range is CidrRange => range !== undefined) ? ranges : undefined;
}

/** True when `ip` lies in any range; an empty list allows everything. */
export function isIpAllowed(ip: ParsedIp | undefined, ranges: readonly CidrRange[]): boolean {
  if (ranges.length === 0) return true;
  if (!ip) return false;
  return ranges.some(([network, bits]) => network.kind() === ip.kind() && ip.match(network, bits));
}

export function isCidr(value: string): boolean {
  return parseCidr(value) !== undefined;
}

/** Dotted-quad IPv4 or IPv6 only: ipaddr.js alone also accepts `10.1` or `0x0a.1` shorthands. */
function isStrictAddress(value: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(value) || ipaddr.IPv6.isValid(value);
}
