import { DataSource } from 'typeorm';
import { UsageRecorder } from '../src/usage/usage-recorder';
import { bearer, createUser, loginAsAdmin, type CreatedUser } from './support/auth-helpers';
import { createKey, verify, type CreatedKey } from './support/keys-helpers';
import { startIsolatedApp, type TestApp } from './support/test-app';

const DAY_S = 86400;
const OVERVIEW = '/api/v1/admin/analytics/overview';
const EXPIRING = '/api/v1/admin/reports/expiring';

interface ExpiringItem {
  id: string;
  daysLeft: number;
  owner: { id: string; email: string; name: string };
  [field: string]: unknown;
}

/**
 * One fleet built up front, so every figure can be asserted exactly (each spec file has a fresh
 * database): alice's keys in every state, with usage; bob's keys expiring at known times.
 */
describe('analytics and reports (e2e)', () => {
  let t: TestApp;
  let db: DataSource;
  let admin: string;
  let auditor: CreatedUser;
  let alice: CreatedUser;
  let bob: CreatedUser;
  const k: Record<string, CreatedKey> = {};

  const overview = (query: Record<string, unknown> = {}) => t.http().get(OVERVIEW).query(query).set(bearer(auditor.token)).expect(200);
  const expiring = (query: Record<string, unknown> = {}) => t.http().get(EXPIRING).query(query).set(bearer(auditor.token)).expect(200);

  beforeAll(async () => {
    t = await startIsolatedApp({ RATE_LIMIT_DEFAULT: '0' });
    db = t.app.get(DataSource);
    admin = await loginAsAdmin(t.http);
    auditor = await createUser(t.http, admin, ['auditor']);
    alice = await createUser(t.http, admin);
    bob = await createUser(t.http, admin);
    const check = (key: CreatedKey, body: Record<string, unknown> = {}) => verify(t.http, admin, { key: key.key, ...body });

    k.busy = await createKey(t.http, alice.token, { name: 'busy' });
    k.quiet = await createKey(t.http, alice.token, { name: 'quiet' });
    k.fresh = await createKey(t.http, alice.token, { name: 'fresh', environment: 'test' });
    k.revoked = await createKey(t.http, alice.token, { name: 'revoked' });
    k.disabled = await createKey(t.http, alice.token, { name: 'disabled' });
    k.expired = await createKey(t.http, alice.token, { name: 'expired' });
    k.deleted = await createKey(t.http, alice.token, { name: 'deleted' });
    k.idleNever = await createKey(t.http, alice.token, { name: 'idle, never used' });
    k.idleUsed = await createKey(t.http, alice.token, { name: 'idle, used long ago' });
    k.decoy = await createKey(t.http, admin, { name: 'decoy', honeytoken: true });

    for (let i = 0; i < 3; i++) expect((await check(k.busy)).valid).toBe(true);
    expect(await check(k.busy, { permissions: ['keys:read'] })).toMatchObject({ code: 'INSUFFICIENT_PERMISSIONS' });
    expect((await check(k.quiet)).valid).toBe(true);
    expect((await check(k.revoked)).valid).toBe(true);
    await t.http().post(`/api/v1/keys/${k.revoked.id}/revoke`).set(bearer(alice.token)).send({}).expect(200);
    expect(await check(k.revoked)).toMatchObject({ code: 'REVOKED' });
    await t.http().patch(`/api/v1/keys/${k.disabled.id}`).set(bearer(alice.token)).send({ enabled: false }).expect(200);
    await db.query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [k.expired.id]);
    expect(await check(k.expired)).toMatchObject({ code: 'EXPIRED' });
    expect((await check(k.deleted)).valid).toBe(true);
    await t.http().delete(`/api/v1/keys/${k.deleted.id}`).set(bearer(alice.token)).expect(204);
    await t.app.get(UsageRecorder).flush();

    await db.query(`UPDATE api_keys SET created_at = now() - interval '40 days' WHERE id = $1`, [k.idleNever.id]);
    await db.query(`UPDATE api_keys SET created_at = now() - interval '50 days', last_used_at = now() - interval '35 days' WHERE id = $1`, [
      k.idleUsed.id,
    ]);
    // Outside a 24-hour window, inside a 72-hour one.
    await db.query(`INSERT INTO key_usage_hourly VALUES ($1, date_trunc('hour', now()) - interval '48 hours', 'VALID', 100)`, [k.busy.id]);
    // A decoy's traffic (recorded some other way) must stay out of every figure.
    await db.query(`INSERT INTO key_usage_hourly VALUES ($1, date_trunc('hour', now()), 'NOT_FOUND', 50)`, [k.decoy.id]);

    const hour = 3600;
    k.expA = await createKey(t.http, admin, { ownerId: bob.id, name: 'exp-a', ttlSeconds: 2 * DAY_S + hour });
    k.expB = await createKey(t.http, admin, { ownerId: bob.id, name: 'exp-b', ttlSeconds: 5 * DAY_S + hour });
    k.expC = await createKey(t.http, admin, { ownerId: bob.id, name: 'exp-c', ttlSeconds: 10 * DAY_S + hour });
    k.expDisabled = await createKey(t.http, admin, { ownerId: bob.id, name: 'exp-disabled', ttlSeconds: 7 * DAY_S + hour });
    k.expRevoked = await createKey(t.http, admin, { ownerId: bob.id, name: 'exp-revoked', ttlSeconds: 3 * DAY_S + hour });
    k.expFar = await createKey(t.http, admin, { ownerId: bob.id, name: 'exp-far', ttlSeconds: 40 * DAY_S + hour });
    await t.http().patch(`/api/v1/keys/${k.expDisabled.id}`).set(bearer(admin)).send({ enabled: false }).expect(200);
    await t.http().post(`/api/v1/keys/${k.expRevoked.id}/revoke`).set(bearer(admin)).send({}).expect(200);
    // Sub-millisecond expiries (as SQL writes them) and a tie, both of which the keyset cursor must survive.
    await db.query(`UPDATE api_keys SET expires_at = expires_at + interval '123 microseconds' WHERE id = $1`, [k.expB.id]);
    await db.query(`UPDATE api_keys SET expires_at = (SELECT expires_at + interval '7 microseconds' FROM api_keys WHERE id = $1) WHERE id IN ($1, $2)`, [
      k.expC.id,
      k.expDisabled.id,
    ]);
  });
  afterAll(() => t.close());

  describe('GET /admin/analytics/overview', () => {
    it('counts live keys by state and environment, decoys apart', async () => {
      const res = await overview();
      expect(res.body.keysByState).toEqual({ active: 9, expired: 1, revoked: 2, disabled: 2 });
      expect(res.body.keysByEnvironment).toEqual({ live: 13, test: 1 });
      expect(res.body.honeytokens).toBe(1);
      expect(Date.parse(res.body.generatedAt)).not.toBeNaN();
    });

    it('counts verifications by outcome within the window', async () => {
      const day = (await overview()).body.verifications;
      expect(day.byOutcome).toEqual({
        VALID: 6,
        MALFORMED: 0,
        NOT_FOUND: 0,
        EXPIRED: 1,
        REVOKED: 1,
        DISABLED: 0,
        FORBIDDEN_IP: 0,
        INSUFFICIENT_PERMISSIONS: 1,
        RATE_LIMITED: 0,
        USAGE_EXCEEDED: 0,
      });
      expect(day.total).toBe(9);
      const from = Date.parse(day.window.from);
      expect(from % 3_600_000).toBe(0);
      expect(Date.parse(day.window.to) - from).toBeGreaterThanOrEqual(24 * 3_600_000);
      expect(Date.parse(day.window.to) - from).toBeLessThan(25 * 3_600_000);

      const threeDays = (await overview({ windowHours: 72 })).body.verifications;
      expect(threeDays.byOutcome.VALID).toBe(106);
      expect(threeDays.total).toBe(109);
    });

    it('ranks live keys by verifications', async () => {
      const res = await overview();
      const top = res.body.topKeys as Array<{ keyId: string }>;
      expect(top[0]).toEqual({ keyId: k.busy.id, name: 'busy', ownerId: alice.id, environment: 'live', total: 4, valid: 3 });
      expect(top[1]).toMatchObject({ keyId: k.revoked.id, total: 2, valid: 1 });
      expect(top.slice(2).map((key) => key.keyId).sort()).toEqual([k.quiet.id, k.expired.id].sort());
      // The deleted key's verification counts in the totals above, but it is no longer a key to list.
      expect(top.map((key) => key.keyId)).not.toContain(k.deleted.id);

      expect((await overview({ top: 2 })).body.topKeys.map((key: { keyId: string }) => key.keyId)).toEqual([k.busy.id, k.revoked.id]);
      expect((await overview({ windowHours: 72 })).body.topKeys[0]).toMatchObject({ keyId: k.busy.id, total: 104, valid: 103 });
    });

    it('finds keys never used, and active keys idle past unusedDays', async () => {
      const res = await overview({ top: 3 });
      expect(res.body.neverUsed.count).toBe(9);
      expect(res.body.neverUsed.sample).toHaveLength(3);
      expect(res.body.neverUsed.sample[0]).toEqual({
        id: k.idleNever.id,
        name: 'idle, never used',
        ownerId: alice.id,
        createdAt: expect.any(String),
        lastUsedAt: null,
      });
      const neverUsedIds = res.body.neverUsed.sample.map((key: { id: string }) => key.id);
      for (const used of [k.busy, k.quiet, k.revoked, k.idleUsed, k.decoy]) expect(neverUsedIds).not.toContain(used.id);

      expect(res.body.unused).toMatchObject({ days: 30, count: 2 });
      expect(res.body.unused.sample.map((key: { id: string }) => key.id)).toEqual([k.idleNever.id, k.idleUsed.id]);
      expect(res.body.unused.sample[1].lastUsedAt).not.toBeNull();

      const longer = (await overview({ unusedDays: 38 })).body.unused;
      expect(longer).toMatchObject({ days: 38, count: 1, sample: [{ id: k.idleNever.id }] });
    });
  });

  describe('GET /admin/reports/expiring', () => {
    it('lists unrevoked keys expiring within the window, soonest first, with their owner', async () => {
      const res = await expiring();
      const items = res.body.items as ExpiringItem[];
      const tied = [k.expC.id, k.expDisabled.id].sort();
      expect(items.map((item) => item.id)).toEqual([k.expA.id, k.expB.id, ...tied]);
      expect(items.map((item) => item.daysLeft)).toEqual([2, 5, 10, 10]);
      expect(res.body.nextCursor).toBeNull();
      expect(items[0]).toEqual({
        id: k.expA.id,
        name: 'exp-a',
        environment: 'live',
        start: k.expA.body.start,
        last4: k.expA.body.last4,
        expiresAt: k.expA.body.expiresAt,
        daysLeft: 2,
        owner: { id: bob.id, email: bob.email, name: 'Test User' },
      });
      const text = JSON.stringify(res.body);
      expect(text).not.toContain('hash');
      for (const key of Object.values(k)) expect(text).not.toContain(key.key);
    });

    it('honours withinDays', async () => {
      expect((await expiring({ withinDays: 3 })).body.items.map((item: ExpiringItem) => item.id)).toEqual([k.expA.id]);
      const wide = (await expiring({ withinDays: 45 })).body.items.map((item: ExpiringItem) => item.id);
      expect(wide).toHaveLength(5);
      expect(wide[4]).toBe(k.expFar.id);
      // A year takes in every key on the default 90-day lifetime, but never the revoked, deleted, expired or decoy ones.
      const year = (await expiring({ withinDays: 365, limit: 100 })).body.items.map((item: ExpiringItem) => item.id);
      expect(year).toHaveLength(11);
      for (const excluded of [k.revoked, k.expRevoked, k.deleted, k.expired, k.decoy]) expect(year).not.toContain(excluded.id);
    });

    it('pages with the cursor, exactly once each', async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const res = await expiring({ limit: 1, ...(cursor && { cursor }) });
        seen.push(...res.body.items.map((item: ExpiringItem) => item.id));
        cursor = res.body.nextCursor ?? undefined;
        if (!cursor) break;
      }
      expect(seen).toEqual([k.expA.id, k.expB.id, ...[k.expC.id, k.expDisabled.id].sort()]);

      const first = await expiring({ limit: 2 });
      expect(first.body.items).toHaveLength(2);
      const second = await expiring({ limit: 2, cursor: first.body.nextCursor });
      expect(second.body.items.map((item: ExpiringItem) => item.id)).toEqual([k.expC.id, k.expDisabled.id].sort());
      expect(second.body.nextCursor).toBeNull();
    });
  });

  describe('bad input and access', () => {
    const forged = (sort: string, id: string) => Buffer.from(JSON.stringify([sort, id])).toString('base64url');

    it.each([
      ['withinDays=0', EXPIRING, { withinDays: 0 }],
      ['withinDays=abc', EXPIRING, { withinDays: 'abc' }],
      ['withinDays=366', EXPIRING, { withinDays: 366 }],
      ['limit=101', EXPIRING, { limit: 101 }],
      ['an unknown parameter', EXPIRING, { sort: 'name' }],
      ['a cursor that is not one', EXPIRING, { cursor: 'not-a-cursor' }],
      ['a cursor with an impossible date', EXPIRING, { cursor: forged('2026-02-30T00:00:00.000000Z', '00000000-0000-4000-8000-000000000000') }],
      ['a cursor with a bad id', EXPIRING, { cursor: forged('2026-01-01T00:00:00.000000Z', 'not-a-uuid') }],
      ['windowHours=0', OVERVIEW, { windowHours: 0 }],
      ['windowHours=8761', OVERVIEW, { windowHours: 8761 }],
      ['top=101', OVERVIEW, { top: 101 }],
      ['unusedDays=1.5', OVERVIEW, { unusedDays: 1.5 }],
      ['an unknown parameter', OVERVIEW, { ownerId: '00000000-0000-4000-8000-000000000000' }],
    ])('%s → 400 with the standard error shape (%s)', async (_, path, query) => {
      const res = await t.http().get(path).query(query).set(bearer(auditor.token)).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.any(String), requestId: expect.any(String) });
    });

    it.each([OVERVIEW, EXPIRING])('%s needs analytics:read', async (path) => {
      await t.http().get(path).expect(401);
      await t.http().get(path).set(bearer(alice.token)).expect(403);
      await t.http().get(path).set('X-API-Key', k.busy.key).expect(403);
      await t.http().get(path).set(bearer(admin)).expect(200);
    });
  });
});
