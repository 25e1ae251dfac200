import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import pino, { type DestinationStream } from 'pino';
import { LeakScanner, type Finding, type KnownSecret } from './leak-scanner';
import { SUITE_SECRETS } from './test-secrets';

/**
 * Every log line of every app the e2e suite starts is written, at the most verbose level, to a
 * file in a per-run directory instead of the terminal; when the run ends, every line is scanned
 * for secrets and the run fails if one is found (global-setup.ts / global-teardown.ts, wired in
 * jest.config.js). One file per spec, named after it, so a finding points at the spec that
 * produced it. TEST_LOG_LEVEL=debug (say) also shows the lines on the terminal, as before.
 *
 * Beyond what the scanner recognises by shape (keys, JWTs) and the suite's fixed secrets, every
 * credential a test sends (password fields, a verified `key`, Authorization and X-API-Key values)
 * is noted next to the capture and looked for too: a wrong password or a mistyped key must not
 * reach the logs either.
 */

/** Set by the global setup for the whole run (Jest copies it into each spec's environment). */
export const LOG_CAPTURE_DIR_ENV = 'KEYWARD_TEST_LOG_DIR';
const CAPTURE_SUFFIX = '.log';
const SENT_SUFFIX = '.sent';

export function createCaptureDir(): string {
  return mkdtempSync(join(tmpdir(), 'keyward-test-logs-'));
}

/** Jest gives each spec file its own module registry, so these are one per spec. */
let destination: DestinationStream | undefined;
let recorder: CredentialRecorder | undefined;

type CredentialRecorder = (req: IncomingMessage & { body?: unknown }, res: unknown, next: () => void) => void;

/** The level and destination an app under test logs with, and the middleware noting what it is sent. */
export function testLogging(): { level: string; destination?: DestinationStream; recordCredentials?: CredentialRecorder } {
  const dir = process.env[LOG_CAPTURE_DIR_ENV];
  const shown = process.env.TEST_LOG_LEVEL;
  if (!dir) return { level: shown ?? 'silent' };
  destination ??= openCapture(dir, shown);
  recorder ??= credentialRecorder(captureFileOfCurrentSpec(dir).slice(0, -CAPTURE_SUFFIX.length) + SENT_SUFFIX);
  return { level: 'trace', destination, recordCredentials: recorder };
}

/** The capture file of the spec running now. */
export function captureFileOfCurrentSpec(dir: string): string {
  const spec = expect.getState().testPath ?? `outside-a-spec-${process.pid}`;
  return join(dir, relative(process.cwd(), spec).replace(/[\\/]/g, '__') + CAPTURE_SUFFIX);
}

function openCapture(dir: string, shown: string | undefined): DestinationStream {
  // Synchronous writes: nothing is lost when a spec ends without closing its apps, and the
  // teardown reads complete files. The suite logs a few thousand lines, so this costs little.
  const file = pino.destination({ dest: captureFileOfCurrentSpec(dir), sync: true, append: true });
  if (!shown || shown === 'silent') return file;
  return pino.multistream([
    { level: 'trace', stream: file },
    { level: shown as pino.Level, stream: process.stdout },
  ]);
}

/** Body fields that carry a credential (login, password change, user creation, verification). */
const CREDENTIAL_FIELD = /^(password|newPassword|currentPassword|key|secret|token)$/;
/** Shorter values ("nope", "x") would turn up in unrelated text; longer ones are fuzz input, not credentials. */
const MIN_RECORDED_LENGTH = 8;
const MAX_RECORDED_LENGTH = 1024;

/** Express middleware (mounted after the body parser): appends each new credential to `file`, one JSON string a line. */
function credentialRecorder(file: string): CredentialRecorder {
  const seen = new Set<string>();
  // What the scan finds anyway (keys, JWTs, the suite's passwords) need not be noted.
  const known = new LeakScanner(SUITE_SECRETS);
  return (req, _res, next) => {
    const values: string[] = [];
    const { authorization, 'x-api-key': apiKey } = req.headers;
    if (typeof authorization === 'string') values.push(authorization.replace(/^\S+\s+/, ''));
    if (typeof apiKey === 'string') values.push(apiKey);
    collectCredentials(req.body, values, 0);
    const fresh = values.filter((v) => isRecordable(v) && !seen.has(v) && known.scan(v).length === 0);
    fresh.forEach((v) => seen.add(v));
    if (fresh.length > 0) appendFileSync(file, fresh.map((v) => `${JSON.stringify(v)}\n`).join(''));
    next();
  };
}

/**
 * A key's `<prefix>_<env>_` head is public (it starts every key and every key's displayed `start`),
 * so only what follows it counts towards the minimum: a fuzzed `kw_live_` alone is not a secret.
 */
function isRecordable(value: string): boolean {
  const unguessable = value.replace(/^[a-z][a-z0-9]*_[a-z][a-z0-9]*_/i, '');
  return unguessable.length >= MIN_RECORDED_LENGTH && value.length <= MAX_RECORDED_LENGTH;
}

function collectCredentials(value: unknown, into: string[], depth: number): void {
  if (depth > 4 || !value || typeof value !== 'object') return;
  for (const [field, inner] of Object.entries(value)) {
    if (typeof inner === 'string' && CREDENTIAL_FIELD.test(field)) into.push(inner);
    else collectCredentials(inner, into, depth + 1);
  }
}

/** Every credential the specs of this run sent, as noted by the recorder. */
export function sentCredentials(dir: string): KnownSecret[] {
  const values = new Set<string>();
  for (const name of readdirSync(dir).filter((n) => n.endsWith(SENT_SUFFIX))) {
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) if (line) values.add(JSON.parse(line) as string);
  }
  return [...values].map((match) => ({ label: 'a credential a test sent', match }));
}

export interface LogLeak {
  file: string;
  line: number;
  findings: Finding[];
  /** The line with the secrets replaced by their labels. */
  excerpt: string;
}

export interface CaptureScan {
  files: number;
  lines: number;
  leaks: LogLeak[];
}

/** Scans every captured file in `dir`, line by line. */
export function scanCapturedLogs(dir: string, scanner: LeakScanner): CaptureScan {
  const result: CaptureScan = { files: 0, lines: 0, leaks: [] };
  for (const name of readdirSync(dir).filter((n) => n.endsWith(CAPTURE_SUFFIX)).sort()) {
    result.files += 1;
    const lines = readFileSync(join(dir, name), 'utf8').split('\n');
    lines.forEach((text, i) => {
      if (text === '') return;
      result.lines += 1;
      const findings = scanner.scan(text);
      if (findings.length > 0) result.leaks.push({ file: join(dir, name), line: i + 1, findings, excerpt: scanner.redact(text, findings) });
    });
  }
  return result;
}

/** A failure message naming each offending file and line, never the secret itself. */
export function describeLeaks(scan: CaptureScan, maxShown = 20): string {
  const kinds = [...new Set(scan.leaks.flatMap((l) => l.findings.map((f) => f.kind)))].sort();
  const shown = scan.leaks.slice(0, maxShown).map((l) => `  ${l.file}:${l.line}\n    ${l.excerpt}`);
  return [
    `Secrets leaked into the logs: ${scan.leaks.length} of ${scan.lines} captured lines (${kinds.join(', ')}).`,
    ...shown,
    ...(scan.leaks.length > maxShown ? [`  … and ${scan.leaks.length - maxShown} more lines`] : []),
    'The capture files are kept for inspection; the secrets above are replaced by «labels».',
  ].join('\n');
}

export function removeCaptureDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
