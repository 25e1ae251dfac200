import { DataSource } from 'typeorm';
import { UsageRecorder } from '../src/usage/usage-recorder';
import { bearer, createUser, loginAsAdmin, type CreatedUser } from './support/auth-helpers';
import { createKey, mistyped, verify } from './support/keys-helpers';
import { startIsolatedApp, type TestApp } from './support/test-app';

describe('API keys (e2e)', () => {
  let t: TestApp;
  let admin: string;
  let alice: CreatedUser;
  let bob: CreatedUser;
  let db: DataSource;

  beforeAll(async () => {
    t = await startIsolatedApp({ RATE_LIMIT_DEFAULT: '0' });
    admin = await loginAsAdmin(t.http);
    alice = await createUser(t.http, admin);
    bob = await createUser(t.http, admin);
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  describe('create', () => {
    it('returns the plaintext once and stores only its keyed hash', async () => {
      const created = await createKey(t.http, alice.token, { name: 'orders', permissions: ['keys:read'], meta: { team: 'a' } });
      expect(created.key).toMatch(/^kw_live_[0-9A-Za-z]{49}$/);
      expect(created.body).toMatchObject({
        name: 'orders',
        ownerId: alice.id,
        environment: 'live',
        status: 'active',
        start: created.key.slice(0, 12),
        last4: created.key.slice(-4),
        permissions: ['keys:read'],
        meta: { team: 'a' },
      });
      expect(created.body).not.toHaveProperty('hash');

      const [row] = await db.query(`SELECT row_to_json(k)::text AS json, encode(hash, 'hex') AS hash FROM api_keys k WHERE id = $1`, [created.id]);
      expect(row.json).not.toContain(created.key);
      expect(row.json).not.toContain(created.key.slice(8, 40));

      const later = [
        await t.http().get(`/api/v1/keys/${created.id}`).set(bearer(alice.token)).expect(200),
        await t.http().get('/api/v1/keys').set(bearer(alice.token)).expect(200),
        await t.http().patch(`/api/v1/keys/${created.id}`).set(bearer(alice.token)).send({ name: 'renamed' }).expect(200),
      ];
      for (const res of later) {
        expect(JSON.stringify(res.body)).not.toContain(created.key);
        expect(JSON.stringify(res.body)).not.toContain(row.hash);
      }
    });

    it('applies the default TTL and refuses expiries past the maximum', async () => {
      const created = await createKey(t.http, alice.token);
      const ttl = new Date(created.body.expiresAt as string).getTime() - Date.now();
      expect(ttl).toBeGreaterThan(89 * 86400_000);
      expect(ttl).toBeLessThanOrEqual(90 * 86400_000);
      const tooLong = await t.http().post('/api/v1/keys').set(bearer(alice.token)).send({ name: 'x', ttlSeconds: 400 * 86400 }).expect(400);
      expect(tooLong.body.message).toContain('KEY_MAX_TTL');
      await t.http().post('/api/v1/keys').set(bearer(alice.token)).send({ name: 'x', expiresAt: '2000-01-01T00:00:00Z' }).expect(400);
      await t.http().post('/api/v1/keys').set(bearer(alice.token)).send({ name: 'x', ttlSeconds: 3600, expiresAt: new Date(Date.now() + 7200_000) }).expect(400);
    });

    it.each([
      ['unknown field', { hash: 'abc' }],
      ['bad permission', { permissions: ['not a permission'] }],
      ['bad CIDR', { ipAllowlist: ['10.0.0.0/33'] }],
      ['huge meta', { meta: { blob: 'x'.repeat(5000) } }],
      ['deep meta', { meta: { a: { b: { c: { d: { e: 1 } } } } } }],
      ['meta not an object', { meta: [1, 2] }],
      ['bad rate limit', { rateLimit: { limit: 0, windowSeconds: 60 } }],
      ['negative credits', { remaining: -1 }],
      ['bad environment', { environment: 'Prod!' }],
      ['name too long', { name: 'n'.repeat(101) }],
      ['revokedAt (mass assignment)', { revokedAt: new Date().toISOString() }],
    ])('rejects %s with 400 and writes nothing', async (_, body) => {
      const before = await db.query('SELECT count(*)::int AS n FROM api_keys');
      await t.http().post('/api/v1/keys').set(bearer(alice.token)).send({ name: 'x', ...body }).expect(400);
      expect(await db.query('SELECT count(*)::int AS n FROM api_keys')).toEqual(before);
    });

    it('refuses to grant more than the caller holds', async () => {
      await t.http().post('/api/v1/keys').set(bearer(alice.token)).send({ name: 'x', permissions: ['users:delete'] }).expect(403);
      await t.http().post('/api/v1/keys').set(bearer(alice.token)).send({ name: 'x', roles: ['admin'] }).expect(403);
      await t.http().post('/api/v1/keys').set(bearer(alice.token)).send({ name: 'x', ownerId: bob.id }).expect(403);
      // A key with keys:create cannot mint a key with more than it holds.
      const minter = await createKey(t.http, alice.token, { permissions: ['keys:create'] });
      await t.http().post('/api/v1/keys').set('X-API-Key', minter.key).send({ name: 'y', permissions: ['*'] }).expect(403);
      const minted = await t.http().post('/api/v1/keys').set('X-API-Key', minter.key).send({ name: 'y', permissions: ['keys:create'] }).expect(201);
      expect(minted.body.ownerId).toBe(alice.id);
    });
  });

  describe('owner isolation', () => {
    it("answers 404 for another user's key on every route", async () => {
      const key = await createKey(t.http, alice.token);
      const as = bearer(bob.token);
      await t.http().get(`/api/v1/keys/${key.id}`).set(as).expect(404);
      await t.http().patch(`/api/v1/keys/${key.id}`).set(as).send({ name: 'mine' }).expect(404);
      await t.http().post(`/api/v1/keys/${key.id}/revoke`).set(as).send({}).expect(404);
      await t.http().get(`/api/v1/keys/${key.id}/usage`).set(as).expect(404);
      await t.http().delete(`/api/v1/keys/${key.id}`).set(as).expect(404);
      const list = await t.http().get('/api/v1/keys').set(as).expect(200);
      expect(list.body.items.map((k: { id: string }) => k.id)).not.toContain(key.id);
      const unchanged = await t.http().get(`/api/v1/keys/${key.id}`).set(bearer(alice.token)).expect(200);
      expect(unchanged.body).toMatchObject({ name: 'test key', status: 'active' });
      // Admins see every owner's keys.
      await t.http().get(`/api/v1/keys/${key.id}`).set(bearer(admin)).expect(200);
      const byOwner = await t.http().get('/api/v1/keys').query({ ownerId: alice.id, limit: 100 }).set(bearer(admin)).expect(200);
      expect(byOwner.body.items.every((k: { ownerId: string }) => k.ownerId === alice.id)).toBe(true);
    });
  });

  describe('verify', () => {
    const call = (body: Record<string, unknown>) => verify(t.http, admin, body);

    it('answers valid with the documented fields', async () => {
      const key = await createKey(t.http, alice.token, { permissions: ['keys:read'], meta: { plan: 'pro' }, rateLimit: { limit: 100, windowSeconds: 60 }, remaining: 5 });
      const result = await call({ key: key.key, permissions: ['keys:read'] });
      expect(result).toEqual({
        valid: true,
        keyId: key.id,
        ownerId: alice.id,
        name: 'test key',
        environment: 'live',
        permissions: ['keys:read'],
        meta: { plan: 'pro' },
        expiresAt: key.body.expiresAt,
        ratelimit: { limit: 100, remaining: 99, reset: expect.any(Number) },
        remaining: 4,
      });
    });

    it.each([
      ['bad checksum', mistyped],
      ['wrong prefix', (k: string) => 'xx' + k.slice(2)],
      ['empty', () => ''],
      ['10 KB string', () => 'kw_live_' + 'A'.repeat(10_240)],
    ])('MALFORMED: %s', async (_, mangle) => {
      const key = await createKey(t.http, alice.token);
      expect(await call({ key: mangle(key.key) })).toEqual({ valid: false, code: 'MALFORMED' });
    });

    it('NOT_FOUND for a well-formed unknown key', async () => {
      const key = await createKey(t.http, alice.token);
      await t.http().delete(`/api/v1/keys/${key.id}`).set(bearer(alice.token)).expect(204);
      await db.query('UPDATE api_keys SET hash = $2 WHERE id = $1', [key.id, Buffer.alloc(32, 1)]);
      expect(await call({ key: key.key })).toEqual({ valid: false, code: 'NOT_FOUND' });
    });

    it('EXPIRED once the expiry passes', async () => {
      const key = await createKey(t.http, alice.token);
      await db.query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [key.id]);
      expect(await call({ key: key.key })).toEqual({ valid: false, code: 'EXPIRED' });
    });

    it('REVOKED immediately after a revoke, and after a delete', async () => {
      const key = await createKey(t.http, alice.token);
      expect((await call({ key: key.key })).valid).toBe(true);
      const revoked = await t.http().post(`/api/v1/keys/${key.id}/revoke`).set(bearer(alice.token)).send({ reason: 'leaked' }).expect(200);
      expect(revoked.body).toMatchObject({ status: 'revoked', revokedReason: 'leaked' });
      expect(await call({ key: key.key })).toEqual({ valid: false, code: 'REVOKED' });
      await t.http().post(`/api/v1/keys/${key.id}/revoke`).set(bearer(alice.token)).send({}).expect(409);

      const deleted = await createKey(t.http, alice.token);
      expect((await call({ key: deleted.key })).valid).toBe(true);
      await t.http().delete(`/api/v1/keys/${deleted.id}`).set(bearer(alice.token)).expect(204);
      expect(await call({ key: deleted.key })).toEqual({ valid: false, code: 'REVOKED' });
      await t.http().get(`/api/v1/keys/${deleted.id}`).set(bearer(alice.token)).expect(404);
    });

    it('DISABLED when the key or its owner is disabled', async () => {
      const key = await createKey(t.http, alice.token);
      expect((await call({ key: key.key })).valid).toBe(true);
      await t.http().patch(`/api/v1/keys/${key.id}`).set(bearer(alice.token)).send({ enabled: false }).expect(200);
      expect(await call({ key: key.key })).toEqual({ valid: false, code: 'DISABLED' });
      await t.http().patch(`/api/v1/keys/${key.id}`).set(bearer(alice.token)).send({ enabled: true }).expect(200);
      expect((await call({ key: key.key })).valid).toBe(true);

      const carol = await createUser(t.http, admin);
      const carolsKey = await createKey(t.http, carol.token);
      expect((await call({ key: carolsKey.key })).valid).toBe(true);
      await t.http().patch(`/api/v1/admin/users/${carol.id}`).set(bearer(admin)).send({ status: 'disabled' }).expect(200);
      expect(await call({ key: carolsKey.key })).toEqual({ valid: false, code: 'DISABLED' });
    });

    it('FORBIDDEN_IP outside the allowlist, IPv4 and IPv6', async () => {
      const key = await createKey(t.http, alice.token, { ipAllowlist: ['10.0.0.0/8', '2001:db8::/32'] });
      expect((await call({ key: key.key, ip: '10.1.2.3' })).valid).toBe(true);
      expect((await call({ key: key.key, ip: '::ffff:10.1.2.3' })).valid).toBe(true);
      expect((await call({ key: key.key, ip: '2001:db8::7' })).valid).toBe(true);
      expect(await call({ key: key.key, ip: '192.168.0.1' })).toEqual({ valid: false, code: 'FORBIDDEN_IP' });
      expect(await call({ key: key.key, ip: '2001:db9::1' })).toEqual({ valid: false, code: 'FORBIDDEN_IP' });
      expect(await call({ key: key.key })).toEqual({ valid: false, code: 'FORBIDDEN_IP' });
      await t.http().post('/api/v1/keys/verify').set(bearer(admin)).send({ key: key.key, ip: 'not-an-ip' }).expect(400);
    });

    it('INSUFFICIENT_PERMISSIONS, with wildcards honoured', async () => {
      // alice holds the keys:* permissions one by one, not the wildcard itself.
      await t.http().post('/api/v1/keys').set(bearer(alice.token)).send({ name: 'x', permissions: ['keys:*'] }).expect(403);
      const key = await createKey(t.http, admin, { permissions: ['keys:*'] });
      expect((await call({ key: key.key, permissions: ['keys:read', 'keys:update'] })).valid).toBe(true);
      expect(await call({ key: key.key, permissions: ['keys:read', 'users:read'] })).toEqual({ valid: false, code: 'INSUFFICIENT_PERMISSIONS' });
    });

    it('RATE_LIMITED past the per-key limit', async () => {
      const key = await createKey(t.http, alice.token, { rateLimit: { limit: 2, windowSeconds: 60 } });
      expect((await call({ key: key.key })).valid).toBe(true);
      expect((await call({ key: key.key })).valid).toBe(true);
      expect(await call({ key: key.key })).toMatchObject({ valid: false, code: 'RATE_LIMITED', ratelimit: { limit: 2, remaining: 0 } });
    });

    it('USAGE_EXCEEDED once credits run out, exactly under concurrency', async () => {
      const key = await createKey(t.http, alice.token, { remaining: 10 });
      const results = await Promise.all(Array.from({ length: 50 }, () => call({ key: key.key })));
      expect(results.filter((r) => r.valid)).toHaveLength(10);
      expect(results.filter((r) => r.code === 'USAGE_EXCEEDED')).toHaveLength(40);
      const after = await t.http().get(`/api/v1/keys/${key.id}`).set(bearer(alice.token)).expect(200);
      expect(after.body.remaining).toBe(0);
    });

    it('refills credits on schedule, once per period', async () => {
      const key = await createKey(t.http, alice.token, { remaining: 1, refill: { amount: 3, interval: 'daily' } });
      expect((await call({ key: key.key })).valid).toBe(true);
      expect(await call({ key: key.key })).toEqual({ valid: false, code: 'USAGE_EXCEEDED' });
      await db.query(`UPDATE api_keys SET created_at = now() - interval '2 days' WHERE id = $1`, [key.id]);
      const runJob = () => t.http().post('/api/v1/admin/jobs/credit-refill/run').set(bearer(admin)).expect(200);
      expect((await runJob()).body).toMatchObject({ name: 'credit-refill', ran: true, result: { refilled: expect.any(Number) } });
      expect((await runJob()).body.result.refilled).toBe(0);
      const after = await t.http().get(`/api/v1/keys/${key.id}`).set(bearer(alice.token)).expect(200);
      expect(after.body).toMatchObject({ remaining: 3, refill: { amount: 3, interval: 'daily' } });
      expect(await call({ key: key.key })).toMatchObject({ valid: true, remaining: 2 });
    });

    it('requires keys:verify from the caller', async () => {
      await t.http().post('/api/v1/keys/verify').set(bearer(alice.token)).send({ key: 'x' }).expect(403);
      await t.http().post('/api/v1/keys/verify').send({ key: 'x' }).expect(401);
      const service = await createUser(t.http, admin, ['service']);
      const serviceKey = await createKey(t.http, admin, { ownerId: service.id, roles: ['service'] });
      const target = await createKey(t.http, alice.token);
      const res = await t.http().post('/api/v1/keys/verify').set('X-API-Key', serviceKey.key).send({ key: target.key }).expect(200);
      expect(res.body.valid).toBe(true);
    });

    it('records usage and lastUsedAt off the request path', async () => {
      const key = await createKey(t.http, alice.token, { permissions: ['keys:read'] });
      await call({ key: key.key });
      await call({ key: key.key, permissions: ['users:read'] });
      await t.app.get(UsageRecorder).flush();
      const usage = await t.http().get(`/api/v1/keys/${key.id}/usage`).set(bearer(alice.token)).expect(200);
      const totals = usage.body.series.reduce((acc: Record<string, number>, p: { outcomes: Record<string, number> }) => {
        for (const [outcome, n] of Object.entries(p.outcomes)) acc[outcome] = (acc[outcome] ?? 0) + n;
        return acc;
      }, {});
      expect(totals).toEqual({ VALID: 1, INSUFFICIENT_PERMISSIONS: 1 });
      const detail = await t.http().get(`/api/v1/keys/${key.id}`).set(bearer(alice.token)).expect(200);
      expect(detail.body.lastUsedAt).not.toBeNull();
      await t.http().get(`/api/v1/keys/${key.id}/usage`).query({ granularity: 'minute' }).set(bearer(alice.token)).expect(400);
    });
  });

  describe('forward-auth', () => {
    it('answers 204 with X-Key headers for an allowed key', async () => {
      const key = await createKey(t.http, alice.token, { permissions: ['keys:read', 'keys:update'] });
      const res = await t.http().get('/api/v1/auth/check').set('Authorization', `Bearer ${key.key}`).set('X-Required-Permissions', 'keys:read').expect(204);
      expect(res.headers['x-key-id']).toBe(key.id);
      expect(res.headers['x-key-owner']).toBe(alice.id);
      expect(res.headers['x-key-permissions']).toBe('keys:read,keys:update');
      await t.http().get('/api/v1/auth/check').set('X-API-Key', key.key).expect(204);
    });

    it('answers 401 for missing, unknown and revoked keys', async () => {
      await t.http().get('/api/v1/auth/check').expect(401);
      await t.http().get('/api/v1/auth/check').set('X-API-Key', 'kw_live_nope').expect(401);
      const key = await createKey(t.http, alice.token);
      await t.http().post(`/api/v1/keys/${key.id}/revoke`).set(bearer(alice.token)).send({}).expect(200);
      const res = await t.http().get('/api/v1/auth/check').set('X-API-Key', key.key).expect(401);
      expect(res.body).toMatchObject({ statusCode: 401, details: { reason: 'REVOKED' } });
    });

    it('answers 403 for a missing permission or a disallowed IP', async () => {
      const key = await createKey(t.http, alice.token, { permissions: ['keys:read'], ipAllowlist: ['127.0.0.1', '::1'] });
      await t.http().get('/api/v1/auth/check').set('X-API-Key', key.key).set('X-Required-Permissions', 'keys:read, keys:delete').expect(403);
      const elsewhere = await createKey(t.http, alice.token, { ipAllowlist: ['203.0.113.0/24'] });
      const res = await t.http().get('/api/v1/auth/check').set('X-API-Key', elsewhere.key).expect(403);
      expect(res.body.details).toEqual({ reason: 'FORBIDDEN_IP' });
      // Forwarded headers are ignored unless TRUST_PROXY is set.
      await t.http().get('/api/v1/auth/check').set('X-API-Key', elsewhere.key).set('X-Forwarded-For', '203.0.113.9').expect(403);
      await t.http().get('/api/v1/auth/check').set('X-API-Key', key.key).set('X-Required-Permissions', 'not valid!').expect(400);
    });

    it('answers 429 with Retry-After when rate limited', async () => {
      const key = await createKey(t.http, alice.token, { rateLimit: { limit: 1, windowSeconds: 30 } });
      await t.http().get('/api/v1/auth/check').set('X-API-Key', key.key).expect(204);
      const res = await t.http().get('/api/v1/auth/check').set('X-API-Key', key.key).expect(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.headers['ratelimit-limit']).toBe('1');
      expect(res.headers['ratelimit-remaining']).toBe('0');
    });
  });

  describe('API keys as credentials for the API', () => {
    it('lets a key manage keys within its permissions, and answers 429 when the key is limited', async () => {
      const key = await createKey(t.http, alice.token, { permissions: ['keys:read'], rateLimit: { limit: 2, windowSeconds: 60 } });
      const me = await t.http().get('/api/v1/auth/me').set('X-API-Key', key.key).expect(200);
      expect(me.body).toMatchObject({ type: 'key', id: key.id, ownerId: alice.id, permissions: ['keys:read'] });
      await t.http().post('/api/v1/keys').set(bearer(key.key)).send({ name: 'nope' }).expect(403);
      const limited = await t.http().get('/api/v1/keys').set('X-API-Key', key.key).expect(429);
      expect(limited.headers['retry-after']).toBeDefined();
    });

    it('demotes keys at once when their owner loses a role', async () => {
      const dave = await createUser(t.http, admin, ['user', 'auditor']);
      const key = await createKey(t.http, dave.token, { roles: ['auditor'] });
      expect((await verify(t.http, admin, { key: key.key, permissions: ['audit:read'] })).valid).toBe(true);
      await t.http().put(`/api/v1/admin/users/${dave.id}/roles`).set(bearer(admin)).send({ roles: ['user'] }).expect(200);
      expect(await verify(t.http, admin, { key: key.key, permissions: ['audit:read'] })).toEqual({ valid: false, code: 'INSUFFICIENT_PERMISSIONS' });
    });
  });
});
