import { createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey } from '../../src/api-keys/key-format';
import globalTeardown from './global-teardown';
import { LeakScanner, type Finding } from './leak-scanner';
import { describeLeaks, LOG_CAPTURE_DIR_ENV, scanCapturedLogs, sentCredentials, testLogging } from './log-capture';
import { ADMIN_PASSWORD, SUITE_SECRETS, TEST_SECRETS, testUserPassword } from './test-secrets';

function jwt(payload: Record<string, unknown>, secret = 'some-secret'): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(payload)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

/** A key with one character of its body changed: the checksum no longer matches. */
function mistyped(key: string): string {
  const i = key.length - 10;
  return key.slice(0, i) + (key[i] === 'A' ? 'B' : 'A') + key.slice(i + 1);
}

const kinds = (findings: Finding[]) => findings.map((f) => f.kind);

describe('LeakScanner', () => {
  const scanner = new LeakScanner(SUITE_SECRETS);
  const key = generateKey('kw', 'live', 32);
  const token = jwt({ sub: 'b3c1a7e2-0000-4000-8000-000000000000', ver: 0 });
  const webhookSecret = `whsec_${'Ab3_-'.repeat(8)}Ab3`;

  describe('finds by shape', () => {
    it.each([
      ['a key in a JSON log line', `{"level":30,"msg":"verified","key":"${key}"}`],
      ['a key in a URL', `GET /api/v1/things?apiKey=${key}&x=1`],
      ['a key in a header dump', `x-api-key: ${key}\r\n`],
      ['a key glued to a word', `user_${key}`],
      ['a key glued to letters', `prefix${key}`],
      ['a key followed by more base62', `${key}Zz9`],
    ])('an API key: %s', (_name, text) => {
      const findings = scanner.scan(text);
      expect(kinds(findings)).toEqual(['api-key']);
      expect(text.slice(findings[0].index, findings[0].index + findings[0].length)).toBe(key);
    });

    it.each([
      ['another prefix and environment', generateKey('acme', 'staging', 32)],
      ['the smallest key', generateKey('kw', 'test', 16)],
      ['the largest key', generateKey('kw', 'live', 64)],
    ])('an API key of any deployment: %s', (_name, other) => {
      expect(kinds(scanner.scan(`"${other}"`))).toEqual(['api-key']);
    });

    it('a JWT, wherever it sits', () => {
      for (const text of [token, `Authorization: Bearer ${token}`, `{"accessToken2":"${token}"}`, `?t=${token}#x`]) {
        expect(kinds(scanner.scan(text))).toEqual(['jwt']);
      }
    });

    it('a webhook signing secret', () => {
      expect(kinds(scanner.scan(`sealed ${webhookSecret} here`))).toEqual(['webhook-secret']);
    });

    it('a password in a URL', () => {
      for (const text of ['connecting to postgres://keyward:s3cr3t-pw@db:5432/keyward', 'REDIS_URL=redis://:s3cr3t-pw@cache:6379', '{"url":"https://user:s3cr3t-pw@example.com/hook"}']) {
        const findings = scanner.scan(text);
        expect(kinds(findings)).toEqual(['url-credentials']);
        expect(text.slice(findings[0].index, findings[0].index + findings[0].length)).toBe('s3cr3t-pw');
      }
    });

    it('fields named like secrets holding anything but the redaction marker, at any depth', () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ password: 'hunter2-hunter2' }, 'password'],
        [{ body: { newPassword: 'x' } }, 'newPassword'],
        [{ req: { headers: { Authorization: 'Basic dXNlcjpwYXNz' } } }, 'Authorization'],
        [{ headers: { 'x-api-key': 'whatever' } }, 'x-api-key'],
        [{ headers: { cookie: 'sid=abc' } }, 'cookie'],
        [{ list: [{ token: 'opaque-token' }] }, 'token'],
        [{ secret: { nested: true } }, 'secret'],
      ];
      for (const [entry, field] of cases) {
        const findings = scanner.scan(JSON.stringify(entry));
        expect(findings).toEqual([expect.objectContaining({ kind: 'secret-field', label: `unredacted "${field}"` })]);
      }
    });
  });

  describe('finds by value', () => {
    it.each([
      ['the pepper', TEST_SECRETS.KEY_HASH_PEPPER],
      ['the JWT secret', TEST_SECRETS.JWT_SECRET],
      ['the encryption key', TEST_SECRETS.SECRETS_ENCRYPTION_KEY],
      ['the bootstrap admin password', ADMIN_PASSWORD],
      ['a test user password', testUserPassword('user-mf3k2-7@example.test')],
    ])('%s', (_name, secret) => {
      const findings = scanner.scan(`{"msg":"config loaded: ${secret} (oops)"}`);
      expect(kinds(findings)).toEqual(['known-secret']);
    });

    it('adds the secrets of one flow with with()', () => {
      const flow = scanner.with([{ label: 'changed password', match: 'correct-horse-battery' }]);
      expect(kinds(flow.scan('password is correct-horse-battery'))).toEqual(['known-secret']);
      expect(flow.scan(TEST_SECRETS.KEY_HASH_PEPPER)).toHaveLength(1);
      expect(scanner.scan('password is correct-horse-battery')).toEqual([]);
    });
  });

  describe('leaves near-misses alone', () => {
    it.each([
      ['a mistyped key (checksum fails)', mistyped(key)],
      ['a truncated key', key.slice(0, -1)],
      ['a key start and last4, as shown for display', `{"start":"${key.slice(0, 12)}","last4":"${key.slice(-4)}"}`],
      ['a short key-like string', 'kw_live_abc123'],
      ['a long base62 run in key shape', `kw_live_${'A1b2C3d4'.repeat(6)}`],
      ['snake_case identifiers', 'user_agent_Mozilla5WindowsNT10Win64x64AppleWebKit'],
      ['a JWT-like string whose header is not JSON', 'eyJub3Rqc29u.eyJzdWIiOiJ4In0.c2ln'],
      ['a JWT header and payload without signature', `${token.split('.').slice(0, 2).join('.')}.`],
      ['base64 of JSON without alg', `${Buffer.from('{"a":1}').toString('base64url')}.eyJ4IjoxfQ.sig`],
      ['a short whsec_ value', 'whsec_mine'],
      ['URLs with a user but no password, or a port', 'postgres://postgres@127.0.0.1:5432/postgres and redis://127.0.0.1:6379 and http://[::1]:80/x'],
      ['part of the pepper', TEST_SECRETS.KEY_HASH_PEPPER.slice(0, 20)],
      ['a password-shaped string without its tail', 'pw-user@example.test-long'],
      ['redacted secret fields', JSON.stringify({ req: { headers: { authorization: '[REDACTED]' } }, password: '[REDACTED]' })],
      ['harmless fields that merely start like secret ones', JSON.stringify({ tokenVersion: 3, passwordChangedAt: '2025-01-01', keyId: 'b3c1', secretsDestroyed: 2 })],
      ['empty or null secret fields', JSON.stringify({ password: '', token: null, secret: false })],
      ['an ordinary request log', '{"level":30,"req":{"id":"5a90","method":"POST","path":"/api/v1/auth/login"},"res":{"statusCode":200},"msg":"request completed"}'],
    ])('%s', (_name, text) => {
      expect(scanner.scan(text)).toEqual([]);
    });
  });

  describe('redact', () => {
    it('replaces each secret by its label and keeps the rest', () => {
      const text = `{"key":"${key}","auth":"Bearer ${token}","note":"${TEST_SECRETS.KEY_HASH_PEPPER}","password":"hunter2"}`;
      const redacted = scanner.redact(text);
      for (const secret of [key, token, TEST_SECRETS.KEY_HASH_PEPPER, 'hunter2']) expect(redacted).not.toContain(secret);
      expect(redacted).toContain(`«api key ${key.slice(0, 12)}…»`);
      expect(redacted).toContain('«JWT»');
      expect(redacted).toContain('«KEY_HASH_PEPPER»');
      expect(redacted).toContain('«unredacted "password"»');
      expect(redacted).toContain('"note":');
    });

    it('hides secret field values however the JSON is spaced', () => {
      const redacted = scanner.redact('{"details": {"password": "hunter2-hunter2", "note": "x"}}');
      expect(redacted).not.toContain('hunter2');
      expect(redacted).toContain('"password": «unredacted "password"»');
    });

    it('shortens long lines around the first secret', () => {
      const text = `${'a'.repeat(2000)} ${key} ${'b'.repeat(2000)}`;
      const redacted = scanner.redact(text);
      expect(redacted.length).toBeLessThan(420);
      expect(redacted).toContain('«api key');
      expect(redacted).not.toContain(key);
    });
  });

  describe('over a capture directory', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'keyward-leak-scanner-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    function plant(): void {
      writeFileSync(join(dir, 'test__clean.e2e-spec.ts.log'), '{"msg":"a"}\n{"msg":"b"}\n');
      writeFileSync(join(dir, 'test__leaky.e2e-spec.ts.log'), `{"msg":"a"}\n{"msg":"b"}\n{"msg":"token ${token}"}\n{"msg":"c"}\n{"password":"${ADMIN_PASSWORD}"}\n`);
      writeFileSync(join(dir, 'ignored.txt'), key);
    }

    it('reports each offending file and line, never the secret', () => {
      plant();
      const scan = scanCapturedLogs(dir, scanner);
      expect(scan).toMatchObject({ files: 2, lines: 7 });
      expect(scan.leaks.map((l) => `${l.file}:${l.line}`)).toEqual([join(dir, 'test__leaky.e2e-spec.ts.log:3'), join(dir, 'test__leaky.e2e-spec.ts.log:5')]);
      const message = describeLeaks(scan);
      expect(message).toContain('2 of 7 captured lines (jwt, known-secret, secret-field)');
      expect(message).toContain(`${join(dir, 'test__leaky.e2e-spec.ts.log')}:5`);
      expect(message).not.toContain(token);
      expect(message).not.toContain(ADMIN_PASSWORD);
    });

    it('makes the global teardown fail the run, keeping the files', () => {
      plant();
      const saved = process.env[LOG_CAPTURE_DIR_ENV];
      process.env[LOG_CAPTURE_DIR_ENV] = dir;
      try {
        expect(() => globalTeardown()).toThrow(/Secrets leaked into the logs: 2 of 7 captured lines[\s\S]*test__leaky\.e2e-spec\.ts\.log:3/);
      } finally {
        process.env[LOG_CAPTURE_DIR_ENV] = saved;
      }
      expect(readdirSync(dir)).toContain('test__leaky.e2e-spec.ts.log');
    });

    it('notes the credentials tests send, and fails the run when one reaches the logs', () => {
      const saved = process.env[LOG_CAPTURE_DIR_ENV];
      process.env[LOG_CAPTURE_DIR_ENV] = dir;
      try {
        const { level, destination, recordCredentials } = testLogging();
        expect(level).toBe('trace');
        expect(destination).toBeDefined();
        type Request = Parameters<NonNullable<typeof recordCredentials>>[0];
        const send = (headers: Record<string, string>, body?: unknown) => {
          const next = jest.fn();
          recordCredentials!({ headers, body } as unknown as Request, {}, next);
          expect(next).toHaveBeenCalledTimes(1);
        };
        send({ authorization: 'Bearer opaque-token-123', 'x-api-key': key }, { email: 'a@b.c', password: 'wrong-password-1', key: 'short' });
        send({ authorization: `Bearer ${token}` }, { profile: { newPassword: 'brand-new-password', currentPassword: 'wrong-password-1' } });
        send({}, { password: ADMIN_PASSWORD, name: 'not a credential at all' });
        send({ 'x-api-key': 'kw_live_' }, { key: 'kw_test_abc' });
        // Keys, JWTs and the suite's passwords are found by the scan anyway; short values (not
        // counting a key's public `kw_live_` head) are too common to look for.
        expect(sentCredentials(dir).map((s) => s.match).sort()).toEqual(['brand-new-password', 'opaque-token-123', 'wrong-password-1']);

        writeFileSync(join(dir, 'test__x.e2e-spec.ts.log'), '{"msg":"sign-in with wrong-password-1 refused"}\n');
        expect(() => globalTeardown()).toThrow(/test__x\.e2e-spec\.ts\.log:1\n.*«a credential a test sent»/);
      } finally {
        process.env[LOG_CAPTURE_DIR_ENV] = saved;
      }
    });

    it('lets a clean capture pass', () => {
      writeFileSync(join(dir, 'test__clean.e2e-spec.ts.log'), '{"msg":"a"}\n');
      expect(scanCapturedLogs(dir, scanner)).toEqual({ files: 1, lines: 1, leaks: [] });
    });
  });
});
