import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * API key format: `<prefix>_<env>_<random><checksum>`.
 * `random` is CSPRNG bytes in fixed-width base62; `checksum` is 6 base62 chars of CRC32 over
 * everything before it, so typos and garbage are rejected without any I/O, and secret scanners can
 * recognise leaked keys by shape.
 */

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const CHECKSUM_LENGTH = 6;
export const MIN_SECRET_BYTES = 16;
export const MAX_SECRET_BYTES = 64;
const ENVIRONMENT = /^[a-z][a-z0-9]{0,15}$/;
const BASE62 = /^[0-9A-Za-z]+$/;
/** Longest key of any accepted size; longer input is malformed before it is even split. */
export const MAX_KEY_LENGTH = 12 + 1 + 16 + 1 + base62Width(MAX_SECRET_BYTES) + CHECKSUM_LENGTH;

export interface ParsedKey {
  prefix: string;
  environment: string;
  /** `<prefix>_<env>_<first 4 random chars>`: safe to display and to search by. */
  start: string;
  last4: string;
}

/** Characters needed to write `bytes` random bytes in base62, always the same for a given size. */
export function base62Width(bytes: number): number {
  return Math.ceil((bytes * 8) / Math.log2(62));
}

function toBase62(value: bigint, width: number): string {
  let out = '';
  while (value > 0n) {
    out = ALPHABET[Number(value % 62n)] + out;
    value /= 62n;
  }
  return out.padStart(width, '0');
}

function checksumOf(body: string): string {
  return toBase62(BigInt(crc32(body)), CHECKSUM_LENGTH);
}

export function generateKey(prefix: string, environment: string, secretBytes: number): string {
  const random = toBase62(BigInt(`0x${randomBytes(secretBytes).toString('hex')}`), base62Width(secretBytes));
  const body = `${prefix}_${environment}_${random}`;
  return body + checksumOf(body);
}

const ACCEPTED_RANDOM_WIDTHS = new Set(
  Array.from({ length: MAX_SECRET_BYTES - MIN_SECRET_BYTES + 1 }, (_, i) => base62Width(MIN_SECRET_BYTES + i)),
);

/**
 * Parses and checks a candidate key; undefined when it is not a well-formed key of this deployment.
 * Keys minted under any allowed KEY_SECRET_BYTES stay valid when the setting changes.
 */
export function parseKey(candidate: unknown, prefix: string): ParsedKey | undefined {
  if (typeof candidate !== 'string' || candidate.length > MAX_KEY_LENGTH) return undefined;
  if (!candidate.startsWith(`${prefix}_`)) return undefined;
  const rest = candidate.slice(prefix.length + 1);
  const separator = rest.indexOf('_');
  if (separator < 1) return undefined;
  const environment = rest.slice(0, separator);
  const tail = rest.slice(separator + 1);
  if (!ENVIRONMENT.test(environment) || !BASE62.test(tail)) return undefined;
  if (!ACCEPTED_RANDOM_WIDTHS.has(tail.length - CHECKSUM_LENGTH)) return undefined;
  const body = candidate.slice(0, candidate.length - CHECKSUM_LENGTH);
  if (checksumOf(body) !== candidate.slice(-CHECKSUM_LENGTH)) return undefined;
  return { prefix, environment, start: `${prefix}_${environment}_${tail.slice(0, 4)}`, last4: candidate.slice(-4) };
}
