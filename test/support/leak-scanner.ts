import { base62Width, MAX_SECRET_BYTES, MIN_SECRET_BYTES, parseKey } from '../../src/api-keys/key-format';

/**
 * Finds secrets in text: log lines, audit records, webhook payloads, database rows.
 *
 * Two kinds of detection. By shape, with no need to know the value: API keys (prefix, environment,
 * base62 body and a CRC32 checksum that has to match, so random text does not), JWTs (the header
 * has to decode to JSON naming an `alg`), webhook signing secrets and passwords in URLs
 * (`postgres://user:password@…`); and, in JSON text, any field named like a secret (`password`,
 * `token`, `authorization`…) holding anything but the redaction marker. By value: exact strings and
 * patterns the caller names (server secrets, passwords).
 */

export type LeakKind = 'api-key' | 'jwt' | 'webhook-secret' | 'url-credentials' | 'secret-field' | 'known-secret';

export interface Finding {
  kind: LeakKind;
  /** Safe to print: names the secret without showing it. */
  label: string;
  /** Where the secret sits in the scanned text (for secret-field findings: the field's value). */
  index: number;
  length: number;
}

export interface KnownSecret {
  label: string;
  /** A literal value, or a pattern for a family of values (the `g` flag is added). */
  match: string | RegExp;
}

/** What the redacting logger writes in place of a secret (src/logging/logging.module.ts). */
export const REDACTION_MARKER = '[REDACTED]';

/** Field names that must only ever hold the redaction marker, compared case-insensitively. */
const SECRET_FIELD = /^(password|newPassword|currentPassword|passwordHash|secret|token|accessToken|refreshToken|apiKey|api_key|x-api-key|authorization|cookie|set-cookie|pepper|plaintext)$/i;

const CHECKSUM_LENGTH = 6;
const MIN_KEY_TAIL = base62Width(MIN_SECRET_BYTES) + CHECKSUM_LENGTH;
const MAX_KEY_TAIL = base62Width(MAX_SECRET_BYTES) + CHECKSUM_LENGTH;
/** `<prefix>_<env>_<base62…>`: the prefix may be glued to whatever precedes it, hence the suffix search below. */
const KEY_CANDIDATE = new RegExp(`([a-z][a-z0-9]*)_([a-z][a-z0-9]{0,15})_([0-9A-Za-z]{${MIN_KEY_TAIL},})`, 'g');
const JWT_CANDIDATE = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g;
const WEBHOOK_SECRET = /whsec_[A-Za-z0-9_-]{43}/g;
/** The password part of `scheme://user:password@host`. */
const URL_CREDENTIALS = /[a-z][a-z0-9+.-]*:\/\/[^\s/:@"']*:([^\s/@"']+)@/gi;
const MAX_PREFIX_LENGTH = 12;

export class LeakScanner {
  /** Literal values, matched by one alternation (longest first), with the label of each. */
  private readonly literals = new Map<string, string>();
  private literalPattern: RegExp | undefined;
  private readonly patterns: Array<{ label: string; pattern: RegExp }> = [];

  constructor(known: KnownSecret[] = []) {
    this.add(known);
  }

  private add(known: KnownSecret[]): void {
    for (const { label, match } of known) {
      if (typeof match !== 'string') this.patterns.push({ label, pattern: new RegExp(match.source, match.flags.includes('g') ? match.flags : `${match.flags}g`) });
      else if (match !== '' && !this.literals.has(match)) this.literals.set(match, label);
    }
    const values = [...this.literals.keys()].sort((a, b) => b.length - a.length);
    this.literalPattern = values.length > 0 ? new RegExp(values.map(escapeRegExp).join('|'), 'g') : undefined;
  }

  /** A scanner that also looks for `more`, e.g. the exact secrets one test used. */
  with(more: KnownSecret[]): LeakScanner {
    const scanner = new LeakScanner();
    scanner.add([...[...this.literals].map(([match, label]) => ({ label, match })), ...this.patterns.map(({ label, pattern }) => ({ label, match: pattern })), ...more]);
    return scanner;
  }

  /** Every secret in `text`, in order of position. JSON text is also checked field by field. */
  scan(text: string): Finding[] {
    const findings = [
      ...this.apiKeys(text),
      ...this.jwts(text),
      ...this.webhookSecrets(text),
      ...this.urlCredentials(text),
      ...this.knownSecrets(text),
      ...secretFields(text),
    ];
    return dedupe(findings.sort((a, b) => a.index - b.index || b.length - a.length));
  }

  /** `text` with each finding replaced by its label; shortened around the first one. */
  redact(text: string, findings: Finding[] = this.scan(text), maxLength = 400): string {
    let out = '';
    let at = 0;
    let firstAt = -1;
    for (const finding of findings) {
      if (finding.index < at) continue;
      out += text.slice(at, finding.index);
      if (firstAt < 0) firstAt = out.length;
      out += `«${finding.label}»`;
      at = finding.index + finding.length;
    }
    out += text.slice(at);
    if (out.length <= maxLength) return out;
    const start = Math.max(0, Math.min(firstAt - maxLength / 4, out.length - maxLength));
    return `${start > 0 ? '…' : ''}${out.slice(start, start + maxLength)}${start + maxLength < out.length ? '…' : ''}`;
  }

  private *apiKeys(text: string): Generator<Finding> {
    for (const match of text.matchAll(KEY_CANDIDATE)) {
      const [, glued, environment, tail] = match;
      // The real prefix is some suffix of `glued` (`user_kw_live_…` matches with glued = `user`
      // only after `kw` fails), and the body may run on into more base62: try each split.
      const found = findKey(glued, environment, tail);
      if (found) {
        const index = match.index + glued.length - found.prefix.length;
        yield { kind: 'api-key', label: `api key ${found.start}…`, index, length: found.length };
      }
    }
  }

  private *jwts(text: string): Generator<Finding> {
    for (const match of text.matchAll(JWT_CANDIDATE)) {
      const header = decodeJson(match[0].slice(0, match[0].indexOf('.')));
      if (header && typeof header.alg === 'string') yield { kind: 'jwt', label: 'JWT', index: match.index, length: match[0].length };
    }
  }

  private *webhookSecrets(text: string): Generator<Finding> {
    for (const match of text.matchAll(WEBHOOK_SECRET)) {
      yield { kind: 'webhook-secret', label: 'webhook secret', index: match.index, length: match[0].length };
    }
  }

  private *urlCredentials(text: string): Generator<Finding> {
    for (const match of text.matchAll(URL_CREDENTIALS)) {
      const index = match.index + match[0].length - 1 - match[1].length;
      yield { kind: 'url-credentials', label: 'password in a URL', index, length: match[1].length };
    }
  }

  private *knownSecrets(text: string): Generator<Finding> {
    if (this.literalPattern) {
      for (const match of text.matchAll(this.literalPattern)) {
        yield { kind: 'known-secret', label: this.literals.get(match[0])!, index: match.index, length: match[0].length };
      }
    }
    for (const { label, pattern } of this.patterns) {
      for (const match of text.matchAll(pattern)) {
        if (match[0].length > 0) yield { kind: 'known-secret', label, index: match.index, length: match[0].length };
      }
    }
  }
}

function findKey(glued: string, environment: string, tail: string): { prefix: string; start: string; length: number } | undefined {
  for (let prefixLength = Math.min(glued.length, MAX_PREFIX_LENGTH); prefixLength >= 1; prefixLength--) {
    const prefix = glued.slice(glued.length - prefixLength);
    if (!/^[a-z]/.test(prefix)) continue;
    for (let tailLength = Math.min(tail.length, MAX_KEY_TAIL); tailLength >= MIN_KEY_TAIL; tailLength--) {
      const candidate = `${prefix}_${environment}_${tail.slice(0, tailLength)}`;
      const parsed = parseKey(candidate, prefix);
      if (parsed) return { prefix, start: parsed.start, length: candidate.length };
    }
  }
  return undefined;
}

/** In JSON text, values of secret-named fields that are not the redaction marker. */
function secretFields(text: string): Finding[] {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return [];
  }
  const findings: Finding[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (!value || typeof value !== 'object') return;
    for (const [field, inner] of Object.entries(value)) {
      if (SECRET_FIELD.test(field) && isUnredacted(inner)) {
        // Point at the value in the raw text so redact() can hide it; failing that, at the field name.
        const name = JSON.stringify(field);
        const raw = JSON.stringify(inner);
        const fieldAt = Math.max(0, text.indexOf(name));
        const valueAt = text.indexOf(raw, fieldAt);
        findings.push({
          kind: 'secret-field',
          label: `unredacted "${field}"`,
          index: valueAt >= 0 ? valueAt : fieldAt,
          length: valueAt >= 0 ? raw.length : name.length,
        });
      } else {
        visit(inner);
      }
    }
  };
  visit(parsed);
  return findings;
}

function isUnredacted(value: unknown): boolean {
  if (value === null || value === undefined || value === REDACTION_MARKER) return false;
  if (typeof value === 'string') return value.length > 0;
  if (typeof value === 'boolean' || typeof value === 'number') return false;
  return true;
}

function decodeJson(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function dedupe(findings: Finding[]): Finding[] {
  return findings.filter((f, i) => i === 0 || f.index !== findings[i - 1].index || f.kind !== findings[i - 1].kind);
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
