import { generateKey } from '../src/api-keys/key-format';
import { AuditBatcher } from '../src/audit/audit-batcher';
import { SecurityEventsService } from '../src/security/security-events.service';
import { bearer, createUser, loginAsAdmin } from './support/auth-helpers';
import { createKey } from './support/keys-helpers';
import { startIsolatedApp, type TestApp } from './support/test-app';

/** Well-formed (checksum and all) but unknown: each costs a lookup, so each counts. */
const UNKNOWN_KEY = generateKey('kw', 'live', 32);

describe('security monitoring (e2e)', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await startIsolatedApp({
      TRUST_PROXY: 'true',
      FAILED_VERIFY_LIMIT: '5',
      FAILED_VERIFY_BLOCK: '300s',
      LOGIN_BRUTE_FORCE_THRESHOLD: '3',
      THROTTLE_LOGIN_LIMIT: '1000',
    });
    admin = await loginAsAdmin(t.http);
  });
  afterAll(() => t.close());

  async function events(query: string): Promise<Array<Record<string, unknown>>> {
    await t.app.get(SecurityEventsService).flush();
    return (await t.http().get(`/api/v1/admin/security-events?${query}`).set(bearer(admin)).expect(200)).body.items;
  }

  const verifyFrom = (ip: string, key: string) => t.http().post('/api/v1/keys/verify').set(bearer(admin)).send({ key, ip });

  it('throttles a source after a burst of unknown and malformed keys, while another source verifies fine', async () => {
    const good = await createKey(t.http, admin, { name: 'innocent' });
    for (let i = 0; i < 3; i++) expect((await verifyFrom('203.0.113.10', UNKNOWN_KEY).expect(200)).body.code).toBe('NOT_FOUND');
    for (let i = 0; i < 2; i++) expect((await verifyFrom('203.0.113.10', 'garbage').expect(200)).body.code).toBe('MALFORMED');

    // The limit is reached: even a valid key is refused from this source for the cool-down.
    const blocked = await verifyFrom('203.0.113.10', good.key).expect(429);
    expect(blocked.body).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED', requestId: expect.any(String) });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    await t.http().get('/api/v1/auth/check').set('X-API-Key', good.key).set('X-Real-IP', '203.0.113.10').expect(429);

    // Per source, not per key: the same key from elsewhere is fine.
    expect((await verifyFrom('203.0.113.11', good.key).expect(200)).body.valid).toBe(true);
    await t.http().get('/api/v1/auth/check').set('X-API-Key', good.key).set('X-Real-IP', '203.0.113.11').expect(204);

    const burst = await events('type=key.invalid_burst&ip=203.0.113.10');
    expect(burst).toHaveLength(1);
    expect(burst[0]).toMatchObject({ severity: 'warning', sourceIp: '203.0.113.10' });
  });

  it('failures against known keys (revoked, expired) do not count towards a block', async () => {
    const key = await createKey(t.http, admin);
    await t.http().post(`/api/v1/keys/${key.id}/revoke`).set(bearer(admin)).send({}).expect(200);
    for (let i = 0; i < 8; i++) expect((await verifyFrom('203.0.113.20', key.key).expect(200)).body.code).toBe('REVOKED');
    expect((await verifyFrom('203.0.113.20', UNKNOWN_KEY).expect(200)).body.code).toBe('NOT_FOUND');
  });

  it('a honeytoken never verifies, looks like an unknown key, and raises a critical event', async () => {
    const honey = await createKey(t.http, admin, { name: 'decoy', honeytoken: true });
    const res = await verifyFrom('198.51.100.66', honey.key).expect(200);
    expect(res.body).toEqual({ valid: false, code: 'NOT_FOUND' });
    await t.http().get('/api/v1/auth/check').set('X-API-Key', honey.key).set('X-Real-IP', '198.51.100.66').expect(401);

    const raised = await events(`type=key.honeytoken_used&keyId=${honey.id}`);
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ severity: 'critical', sourceIp: '198.51.100.66', keyId: honey.id });

    await t.app.get(AuditBatcher).flush();
    const audited = (await t.http().get(`/api/v1/admin/audit?targetId=${honey.id}&action=key.verify_failed`).set(bearer(admin)).expect(200)).body.items;
    expect(audited.length).toBeGreaterThanOrEqual(1);
    expect(audited[0]).toMatchObject({ outcome: 'failure', details: { code: 'NOT_FOUND' } });
  });

  it('use of a key from outside its allowlist is an event', async () => {
    const key = await createKey(t.http, admin, { ipAllowlist: ['10.0.0.0/8'] });
    expect((await verifyFrom('192.0.2.9', key.key).expect(200)).body.code).toBe('FORBIDDEN_IP');
    expect((await verifyFrom('10.1.2.3', key.key).expect(200)).body.valid).toBe(true);
    expect(await events(`type=key.disallowed_ip&keyId=${key.id}`)).toEqual([expect.objectContaining({ sourceIp: '192.0.2.9' })]);
  });

  it('password guessing from one address raises brute force, and a lockout raises its own event', async () => {
    const victim = await createUser(t.http, admin);
    for (let i = 0; i < 5; i++) {
      const res = await t.http()
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', '192.0.2.77')
        .send({ email: victim.email, password: `wrong-guess-${i}-xxxx` });
      expect([401, 423]).toContain(res.status);
    }
    const bruteForce = await events('type=login.brute_force&ip=192.0.2.77');
    expect(bruteForce).toHaveLength(1);
    expect(bruteForce[0].details).toMatchObject({ failures: 3 });
    expect(await events(`type=user.locked&userId=${victim.id}`)).toHaveLength(1);

    const lockout = (await t.http().get(`/api/v1/admin/audit?action=user.locked&targetId=${victim.id}`).set(bearer(admin)).expect(200)).body.items;
    expect(lockout).toHaveLength(1);
    expect(lockout[0]).toMatchObject({ actor: { type: 'system' } });
  });
});
