import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { generateKey } from '../src/api-keys/key-format';
import { AuditBatcher } from '../src/audit/audit-batcher';
import { SecurityEventsService } from '../src/security/security-events.service';
import { WebhookDispatcher } from '../src/webhooks/webhook-dispatcher';
import { bearer, createUser, login, loginAsAdmin, uniqueEmail } from './support/auth-helpers';
import { createKey, mistyped, verify } from './support/keys-helpers';
import { LeakScanner, type KnownSecret } from './support/leak-scanner';
import { captureFileOfCurrentSpec, LOG_CAPTURE_DIR_ENV } from './support/log-capture';
import { startIsolatedApp, type TestApp } from './support/test-app';
import { TestClock } from './support/test-clock';
import { SUITE_SECRETS } from './support/test-secrets';

/** A webhook endpoint on 127.0.0.1 that keeps every request it gets. */
class Receiver {
  readonly requests: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      this.requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.end('ok');
    });
  });

  start(): Promise<void> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * Runs a broad flow (passwords, sign-ins good and bad, lockout, keys created / rolled / rotated /
 * revealed / revoked / deleted, verifications valid and not, keys as credentials, webhooks) and
 * then looks for every secret it used in everything the service keeps or sends: audit records,
 * webhook payloads, every database row, and its own log lines.
 */
describe('secrets never leak (e2e)', () => {
  const clock = new TestClock();
  const receiver = new Receiver();
  /** Every secret the flow handles, as it handles it. */
  const used: KnownSecret[] = [];
  const remember = (label: string, value: string): string => {
    used.push({ label, match: value });
    return value;
  };
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    await receiver.start();
    t = await startIsolatedApp(
      {
        AUDIT_LEVEL: 'verbose',
        STORE_SECRETS_SERVER_SIDE: 'true',
        JOBS_ENABLED: 'false',
        KEY_ROTATION_GRACE_PERIOD: '1h',
        FAILED_VERIFY_LIMIT: '3',
        WEBHOOK_DISPATCH_INTERVAL_MS: '60000',
      },
      clock,
    );
    admin = remember('admin token', await loginAsAdmin(t.http));
    await runFlow();
  });
  afterAll(async () => {
    await t.close();
    await receiver.stop();
  });

  async function runFlow(): Promise<void> {
    const http = t.http;
    const webhook = await http().post('/api/v1/admin/webhooks').set(bearer(admin)).send({ url: receiver.url(), eventTypes: ['*'] }).expect(201);
    remember('webhook secret', webhook.body.secret);

    // Users, passwords, sign-ins good and bad, a lockout and its unlock, a role change.
    const owner = await createUser(http, admin, ['user']);
    remember('owner password', owner.password);
    remember('owner token', owner.token);
    const victim = await createUser(http, admin, ['user']);
    remember('victim password', victim.password);
    for (let i = 0; i < 5; i++) {
      const wrong = remember('wrong password', `wrong-${randomUUID()}`);
      await http().post('/api/v1/auth/login').send({ email: victim.email, password: wrong }).expect(i < 4 ? 401 : 423);
    }
    await http().post(`/api/v1/admin/users/${victim.id}/unlock`).set(bearer(admin)).expect(200);
    remember('victim token', await login(http, victim.email, victim.password));
    await http().post('/api/v1/auth/login').send({ email: uniqueEmail('ghost'), password: remember('ghost password', `ghost-${randomUUID()}`) }).expect(401);
    await http().put(`/api/v1/admin/users/${victim.id}/roles`).set(bearer(admin)).send({ roles: ['auditor'] }).expect(200);
    const direct = remember('admin-set password', `direct-${randomUUID()}`);
    await http().post('/api/v1/admin/users').set(bearer(admin)).send({ email: uniqueEmail('direct'), name: 'Direct', password: direct, roles: [] }).expect(201);

    // Password change: a wrong current password, then the real change; the old token stops working.
    const changed = remember('changed password', `changed-${randomUUID()}`);
    await http().post('/api/v1/auth/password').set(bearer(owner.token)).send({ currentPassword: remember('wrong current password', `nope-${randomUUID()}`), newPassword: changed }).expect(400);
    await http().post('/api/v1/auth/password').set(bearer(owner.token)).send({ currentPassword: owner.password, newPassword: changed }).expect(204);
    await http().get('/api/v1/auth/me').set(bearer(owner.token)).expect(401);
    const token = remember('owner token after change', await login(http, owner.email, changed));

    // Keys: created, used as credentials, verified every way, rolled, rotated and revealed, revoked, deleted.
    const key = await createKey(http, token, { name: 'main', meta: { team: 'billing' } });
    remember('key', key.key);
    const credits = await createKey(http, token, { name: 'credits', remaining: 11 });
    remember('credits key', credits.key);
    const honeytoken = await createKey(http, token, { name: 'decoy', honeytoken: true });
    remember('honeytoken', honeytoken.key);
    const fenced = await createKey(http, token, { name: 'fenced', ipAllowlist: ['10.0.0.0/8'] });
    remember('fenced key', fenced.key);

    expect(await verify(http, admin, { key: key.key })).toMatchObject({ valid: true });
    expect(await verify(http, admin, { key: credits.key })).toMatchObject({ valid: true, remaining: 10 });
    expect(await verify(http, admin, { key: honeytoken.key })).toMatchObject({ valid: false });
    expect(await verify(http, admin, { key: fenced.key, ip: '192.0.2.1' })).toMatchObject({ valid: false, code: 'FORBIDDEN_IP' });
    expect(await verify(http, admin, { key: key.key, permissions: ['nothing:here'] })).toMatchObject({ valid: false });
    await http().get('/api/v1/auth/check').set('X-API-Key', key.key).expect(204);
    await http().get('/api/v1/auth/check').set(bearer(key.key)).expect(204);
    await http().get('/api/v1/auth/me').set('X-API-Key', key.key).expect(200);
    await http().get('/api/v1/auth/me').set(bearer(key.key)).expect(200);

    const rolled = await http().post(`/api/v1/keys/${key.id}/roll`).set(bearer(token)).send({}).expect(201);
    remember('rolled key', rolled.body.key);
    expect(await verify(http, admin, { key: key.key })).toMatchObject({ valid: true });
    await http().post(`/api/v1/keys/${rolled.body.id}/revoke-previous`).set(bearer(token)).expect(200);

    const scheduled = await createKey(http, token, { name: 'scheduled', rotationIntervalSeconds: 3600 });
    remember('scheduled key', scheduled.key);
    clock.advance(3601);
    await http().post('/api/v1/admin/jobs/rotation/run').set(bearer(admin)).expect(200);
    const successorId = (await http().get(`/api/v1/keys/${scheduled.id}`).set(bearer(token)).expect(200)).body.rotatedToId as string;
    const revealed = await http().post(`/api/v1/keys/${successorId}/reveal`).set(bearer(token)).expect(200);
    remember('revealed key', revealed.body.key);
    expect(await verify(http, admin, { key: revealed.body.key })).toMatchObject({ valid: true });

    await http().post(`/api/v1/keys/${rolled.body.id}/revoke`).set(bearer(token)).send({ reason: 'leak drill' }).expect(200);
    expect(await verify(http, admin, { key: rolled.body.key })).toMatchObject({ valid: false, code: 'REVOKED' });
    await http().delete(`/api/v1/keys/${credits.id}`).set(bearer(token)).expect(204);

    // Invalid keys: mistyped, well-formed but unknown, garbage; enough of them to raise a burst.
    const unknown = remember('unknown key', generateKey('kw', 'live', 32));
    const mistypedKey = remember('mistyped key', mistyped(key.key));
    for (const bad of [unknown, mistypedKey, 'kw_live_garbage']) {
      expect(await verify(http, admin, { key: bad, ip: '203.0.113.50' })).toMatchObject({ valid: false });
    }
    await http().post('/api/v1/keys/verify').set(bearer(admin)).send({ key: unknown, ip: '203.0.113.50' }).expect(429);
    await http().get('/api/v1/auth/check').set('X-API-Key', unknown).expect(401);
    await http().get('/api/v1/auth/me').set(bearer(unknown)).expect(401);

    // Exports are audited too.
    await http().get('/api/v1/admin/audit/export?format=ndjson').set(bearer(admin)).expect(200);

    await t.app.get(AuditBatcher).flush();
    await t.app.get(SecurityEventsService).flush();
    await t.app.get(WebhookDispatcher).dispatchDue();
  }

  function expectClean(scanner: LeakScanner, where: string, texts: string[]): void {
    const leaks = texts.flatMap((text, i) => {
      const findings = scanner.scan(text);
      return findings.length === 0 ? [] : [`${where} #${i + 1}: ${scanner.redact(text, findings)}`];
    });
    expect(leaks).toEqual([]);
  }

  const scanner = () => new LeakScanner(SUITE_SECRETS).with(used);

  it('knows every secret it used, and recognises each one', () => {
    expect(used.map((s) => s.label)).toEqual(
      expect.arrayContaining(['webhook secret', 'owner password', 'wrong password', 'changed password', 'key', 'rolled key', 'revealed key', 'unknown key']),
    );
    for (const { label, match } of used) expect({ label, found: scanner().scan(`… ${String(match)} …`).length > 0 }).toEqual({ label, found: true });
  });

  it('keeps them out of every audit record (NDJSON and CSV exports)', async () => {
    const ndjson = await t.http().get('/api/v1/admin/audit/export?format=ndjson').set(bearer(admin)).expect(200);
    const records = ndjson.text.trim().split('\n');
    const actions = new Set(records.map((line) => (JSON.parse(line) as { action: string }).action));
    expect([...actions]).toEqual(
      expect.arrayContaining(['user.created', 'user.login', 'user.login_failed', 'user.locked', 'user.password_changed', 'key.created', 'key.rolled', 'key.rotated', 'key.revealed', 'key.revoked', 'key.verified', 'key.verify_failed']),
    );
    expectClean(scanner(), 'audit record', records);
    const csv = await t.http().get('/api/v1/admin/audit/export?format=csv').set(bearer(admin)).expect(200);
    expectClean(scanner(), 'audit CSV line', csv.text.split('\n'));
  });

  it('keeps them out of every webhook payload, sent or stored', async () => {
    const types = new Set(receiver.requests.map((r) => (JSON.parse(r.body) as { type: string }).type));
    expect([...types]).toEqual(expect.arrayContaining(['key.created', 'key.rolled', 'key.rotated', 'key.revoked', 'key.credits_low', 'security.key.honeytoken_used']));
    expectClean(
      scanner(),
      'webhook request',
      receiver.requests.map((r) => JSON.stringify({ headers: r.headers, body: r.body })),
    );
    const [endpoint] = (await t.http().get('/api/v1/admin/webhooks').set(bearer(admin)).expect(200)).body.items as Array<{ id: string }>;
    const deliveries = await t.http().get(`/api/v1/admin/webhooks/${endpoint.id}/deliveries?limit=100`).set(bearer(admin)).expect(200);
    expect(deliveries.body.items.length).toBeGreaterThanOrEqual(types.size);
    expectClean(scanner(), 'stored delivery', deliveries.body.items.map((d: unknown) => JSON.stringify(d)));
  });

  it('stores none of them anywhere: every row of every table', async () => {
    const db = t.app.get(DataSource);
    const tables = (await db.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`)) as Array<{ table_name: string }>;
    expect(tables.map((r) => r.table_name)).toEqual(expect.arrayContaining(['audit_log', 'webhook_deliveries', 'security_events', 'users', 'api_keys', 'key_secrets']));
    for (const { table_name: table } of tables) {
      const rows = (await db.query(`SELECT row_to_json(t)::text AS row FROM "${table}" t`)) as Array<{ row: string }>;
      expectClean(scanner(), `row of ${table}`, rows.map((r) => r.row));
    }
  });

  it('keeps them out of its own log lines, which are captured at the most verbose level', () => {
    const dir = process.env[LOG_CAPTURE_DIR_ENV];
    expect(dir).toBeDefined();
    const file = captureFileOfCurrentSpec(dir!);
    expect(existsSync(file)).toBe(true);
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    // The capture really holds this flow: access logs of its routes and the security events it raised.
    expect(lines.some((line) => line.includes('/api/v1/auth/password'))).toBe(true);
    expect(lines.some((line) => line.includes('Security event key.honeytoken_used'))).toBe(true);
    expectClean(scanner(), 'log line', lines);
  });
});
