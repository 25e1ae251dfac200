import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { WebhookDispatcher } from '../src/webhooks/webhook-dispatcher';
import { ApiKeysRepository } from '../src/api-keys/api-keys.repository';
import { bearer, createUser, loginAsAdmin, type CreatedUser } from './support/auth-helpers';
import { createKey, verify } from './support/keys-helpers';
import { startIsolatedApp, type TestApp } from './support/test-app';
import { TestClock } from './support/test-clock';

interface AuditItem {
  action: string;
  target: { id: string };
  details: Record<string, unknown>;
}

describe('rotation and expiry (e2e)', () => {
  const clock = new TestClock();
  let t: TestApp;
  let admin: string;
  let owner: CreatedUser;

  beforeAll(async () => {
    t = await startIsolatedApp({ JOBS_ENABLED: 'false', KEY_ROTATION_GRACE_PERIOD: '1h', KEY_MAX_TTL: '0', KEY_DEFAULT_TTL: '0' }, clock);
    admin = await loginAsAdmin(t.http);
    owner = await createUser(t.http, admin);
  });
  afterAll(() => t.close());

  const runJob = async (name: string) => (await t.http().post(`/api/v1/admin/jobs/${name}/run`).set(bearer(admin)).expect(200)).body;
  const getKey = async (id: string) => (await t.http().get(`/api/v1/keys/${id}`).set(bearer(owner.token)).expect(200)).body;
  const auditOf = async (action: string, targetId: string): Promise<AuditItem[]> =>
    (await t.http().get(`/api/v1/admin/audit?action=${action}&targetId=${targetId}`).set(bearer(admin)).expect(200)).body.items;
  const roll = (id: string, body: Record<string, unknown> = {}) => t.http().post(`/api/v1/keys/${id}/roll`).set(bearer(owner.token)).send(body);

  describe('roll', () => {
    it('issues a successor with every setting of its predecessor, and the secret once', async () => {
      const settings = {
        name: 'billing',
        environment: 'test',
        permissions: ['keys:read'],
        ipAllowlist: ['10.0.0.0/8'],
        rateLimit: { limit: 50, windowSeconds: 30 },
        remaining: 1000,
        refill: { amount: 1000, interval: 'monthly' },
        expiresAt: new Date(clock.now() + 30 * 86400_000).toISOString(),
        rotationIntervalSeconds: 7 * 86400,
        meta: { team: 'billing', tier: 2 },
      };
      const old = await createKey(t.http, owner.token, settings);
      const res = await roll(old.id, { gracePeriodSeconds: 120 }).expect(201);
      const successor = res.body;
      expect(successor.key).toMatch(/^kw_test_/);
      expect(successor.id).not.toBe(old.id);
      const copied = ['name', 'environment', 'permissions', 'roles', 'ipAllowlist', 'rateLimit', 'remaining', 'refill', 'rotationIntervalSeconds', 'meta', 'enabled', 'ownerId'];
      for (const field of copied) expect([field, successor[field]]).toEqual([field, old.body[field]]);
      expect(successor.rotatedFromId).toBe(old.id);
      // A fresh lifetime as long as the predecessor's.
      expect(new Date(successor.expiresAt).getTime() - clock.now()).toBeGreaterThan(29 * 86400_000);
      expect((await getKey(old.id)).rotatedToId).toBe(successor.id);
      expect(JSON.stringify(await getKey(successor.id))).not.toContain(successor.key);

      const [record] = await auditOf('key.rolled', old.id);
      expect(record.details).toMatchObject({ successorId: successor.id, gracePeriodSeconds: 120 });
      expect(JSON.stringify(record)).not.toContain(successor.key);
    });

    it('keeps the predecessor working for exactly the grace period', async () => {
      const old = await createKey(t.http, owner.token, { permissions: ['keys:read'] });
      const rolledAt = clock.now();
      const successor = (await roll(old.id, { gracePeriodSeconds: 60 }).expect(201)).body;
      const graceEnd = new Date((await getKey(old.id)).expiresAt).getTime();
      expect(Math.abs(graceEnd - (rolledAt + 60_000))).toBeLessThan(1000);

      expect((await verify(t.http, admin, { key: old.key })).valid).toBe(true);
      clock.advance(58);
      expect((await verify(t.http, admin, { key: old.key })).valid).toBe(true);
      clock.advance(3);
      expect(await verify(t.http, admin, { key: old.key })).toEqual({ valid: false, code: 'EXPIRED' });
      expect((await verify(t.http, admin, { key: successor.key })).valid).toBe(true);
    });

    it('with a grace period of 0, the predecessor stops at once', async () => {
      const old = await createKey(t.http, owner.token);
      await roll(old.id, { gracePeriodSeconds: 0 }).expect(201);
      expect(await verify(t.http, admin, { key: old.key })).toEqual({ valid: false, code: 'EXPIRED' });
    });

    it('"revoke previous" ends the grace period early', async () => {
      const old = await createKey(t.http, owner.token);
      const successor = (await roll(old.id, { gracePeriodSeconds: 3600 }).expect(201)).body;
      const res = await t.http().post(`/api/v1/keys/${successor.id}/revoke-previous`).set(bearer(owner.token)).expect(200);
      expect(res.body).toMatchObject({ id: old.id, status: 'revoked' });
      expect(await verify(t.http, admin, { key: old.key })).toEqual({ valid: false, code: 'REVOKED' });
      await t.http().post(`/api/v1/keys/${successor.id}/revoke-previous`).set(bearer(owner.token)).expect(409);
      await t.http().post(`/api/v1/keys/${old.id}/revoke-previous`).set(bearer(owner.token)).expect(409);
    });

    it('refuses revoked, expired and already-rolled keys, bad grace periods and strangers', async () => {
      const revoked = await createKey(t.http, owner.token);
      await t.http().post(`/api/v1/keys/${revoked.id}/revoke`).set(bearer(owner.token)).send({}).expect(200);
      expect((await roll(revoked.id).expect(409)).body).toMatchObject({ code: 'CONFLICT' });

      const expiring = await createKey(t.http, owner.token, { ttlSeconds: 60 });
      clock.advance(61);
      await roll(expiring.id).expect(409);

      const rolled = await createKey(t.http, owner.token);
      await roll(rolled.id).expect(201);
      await roll(rolled.id).expect(409);

      const fresh = await createKey(t.http, owner.token);
      await roll(fresh.id, { gracePeriodSeconds: -1 }).expect(400);
      await roll(fresh.id, { gracePeriodSeconds: 31 * 86400 }).expect(400);
      await roll(fresh.id, { gracePeriodSeconds: 'soon' }).expect(400);
      await roll(fresh.id, { ownerId: admin }).expect(400);
      const stranger = await createUser(t.http, admin);
      await t.http().post(`/api/v1/keys/${fresh.id}/roll`).set(bearer(stranger.token)).send({}).expect(404);
      const before = (await t.http().get('/api/v1/keys?limit=100').set(bearer(owner.token)).expect(200)).body.items.length;
      expect(before).toBeGreaterThan(0);
      expect((await getKey(fresh.id)).rotatedToId).toBeNull();
    });
  });

  describe('scheduled rotation', () => {
    it('rotates a due key once, even when two runs tick at the same moment', async () => {
      const key = await createKey(t.http, owner.token, { rotationIntervalSeconds: 3600 });
      const notDue = await createKey(t.http, owner.token, { rotationIntervalSeconds: 7200 });
      clock.advance(3601);
      const runs = await Promise.all([runJob('rotation'), runJob('rotation')]);
      expect(runs.every((run) => run.name === 'rotation')).toBe(true);
      const rotated = await auditOf('key.rotated', key.id);
      expect(rotated).toHaveLength(1);
      expect(rotated[0].details).toMatchObject({ secretStored: false, ownerId: owner.id });
      const successorId = (await getKey(key.id)).rotatedToId;
      expect(successorId).toBeTruthy();
      expect((await getKey(successorId)).rotatedFromId).toBe(key.id);
      // The predecessor works for KEY_ROTATION_GRACE_PERIOD, then stops.
      expect((await verify(t.http, admin, { key: key.key })).valid).toBe(true);
      expect((await getKey(notDue.id)).rotatedToId).toBeNull();
      await runJob('rotation');
      expect(await auditOf('key.rotated', key.id)).toHaveLength(1);
      clock.advance(3601);
      expect(await verify(t.http, admin, { key: key.key })).toEqual({ valid: false, code: 'EXPIRED' });
    });

    it('a run killed mid-batch leaves every key rotated completely or not at all; the next run finishes', async () => {
      const keys = await Promise.all([1, 2, 3].map((i) => createKey(t.http, owner.token, { name: `batch-${i}`, rotationIntervalSeconds: 3600 })));
      clock.advance(3601);
      const repository = t.app.get(ApiKeysRepository);
      const update = repository.update.bind(repository);
      // One key's transaction dies after its successor was inserted, before the predecessor is linked.
      const spy = jest.spyOn(repository, 'update').mockImplementation(async (...args) => {
        if (args[0] === keys[1].id) throw new Error('runner killed');
        return update(...args);
      });
      let first;
      try {
        first = await runJob('rotation');
      } finally {
        spy.mockRestore();
      }
      expect(first.error).toMatch(/runner killed/);
      const db = t.app.get(DataSource);
      const successorsOf = async (id: string) => Number((await db.query(`SELECT count(*) AS n FROM api_keys WHERE rotated_from_id = $1`, [id]))[0].n);
      const states = await Promise.all(keys.map(async (k) => ({ linked: (await getKey(k.id)).rotatedToId !== null, successors: await successorsOf(k.id) })));
      for (const state of states) expect(state.successors).toBe(state.linked ? 1 : 0);
      expect(states[1]).toEqual({ linked: false, successors: 0 });

      const second = await runJob('rotation');
      expect(second.result.rotated).toBe(states.filter((s) => !s.linked).length);
      for (const key of keys) {
        expect(await successorsOf(key.id)).toBe(1);
        expect(await auditOf('key.rotated', key.id)).toHaveLength(1);
      }
    });
  });

  describe('expiry', () => {
    it('warns once per horizon, then records the expiry once', async () => {
      const key = await createKey(t.http, owner.token, { ttlSeconds: 10 * 86400 });
      const warnings = async () => (await auditOf('key.expiring', key.id)).map((r) => r.details.horizonDays).sort((a, b) => Number(a) - Number(b));
      await runJob('expiry');
      expect(await warnings()).toEqual([30]);
      await runJob('expiry');
      expect(await warnings()).toEqual([30]);
      clock.advance(3.5 * 86400);
      await runJob('expiry');
      expect(await warnings()).toEqual([7, 30]);
      clock.advance(6 * 86400);
      await runJob('expiry');
      await runJob('expiry');
      expect(await warnings()).toEqual([1, 7, 30]);
      expect(await auditOf('key.expired', key.id)).toHaveLength(0);
      clock.advance(86400);
      const run = await runJob('expiry');
      expect(run.result.expired).toBeGreaterThanOrEqual(1);
      await runJob('expiry');
      expect(await auditOf('key.expired', key.id)).toHaveLength(1);
    });

    it('a key first seen inside the last day gets only the one-day warning', async () => {
      const key = await createKey(t.http, owner.token, { ttlSeconds: 3600 });
      await runJob('expiry');
      expect((await auditOf('key.expiring', key.id)).map((r) => r.details.horizonDays)).toEqual([1]);
    });
  });

  it('announces rolls, rotations, revocations and expiries to webhooks, never with a key in the payload', async () => {
    const received: Array<{ event: string; body: string }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        received.push({ event: String(req.headers['x-keyward-event']), body });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      await t.http().post('/api/v1/admin/webhooks').set(bearer(admin)).send({ url, eventTypes: ['key.*'] }).expect(201);
      const created = await createKey(t.http, owner.token, { rotationIntervalSeconds: 3600, ttlSeconds: 2 * 86400 });
      const rolled = (await roll(created.id, { gracePeriodSeconds: 60 }).expect(201)).body;
      await t.http().post(`/api/v1/keys/${rolled.id}/revoke-previous`).set(bearer(owner.token)).expect(200);
      const scheduled = await createKey(t.http, owner.token, { rotationIntervalSeconds: 3600 });
      clock.advance(3601);
      await runJob('rotation');
      await runJob('expiry');
      await t.app.get(WebhookDispatcher).dispatchDue();
      const events = received.map((r) => r.event);
      for (const type of ['key.created', 'key.rolled', 'key.revoked', 'key.rotated', 'key.expiring']) expect(events).toContain(type);
      const bodies = received.map((r) => r.body).join('\n');
      for (const secret of [created.key, rolled.key, scheduled.key]) expect(bodies).not.toContain(secret);
      expect(JSON.parse(received.find((r) => r.event === 'key.rolled')!.body).data).toMatchObject({ keyId: created.id, successorId: rolled.id });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('reports every job in /admin/jobs with its last run', async () => {
    const res = await t.http().get('/api/v1/admin/jobs').set(bearer(admin)).expect(200);
    const expiry = res.body.find((j: { name: string }) => j.name === 'expiry');
    expect(expiry).toMatchObject({ intervalSeconds: 300, lastRun: { error: null, result: expect.any(Object) } });
    await t.http().post('/api/v1/admin/jobs/nope/run').set(bearer(admin)).expect(404);
    await t.http().post('/api/v1/admin/jobs/expiry/run').set(bearer(owner.token)).expect(403);
  });
});

describe('reveal-once secrets and the stale-key reaper (e2e)', () => {
  const clock = new TestClock();
  let t: TestApp;
  let admin: string;
  let owner: CreatedUser;

  beforeAll(async () => {
    t = await startIsolatedApp({ JOBS_ENABLED: 'false', STORE_SECRETS_SERVER_SIDE: 'true', KEY_ROTATION_GRACE_PERIOD: '1h', STALE_KEY_DAYS: '30' }, clock);
    admin = await loginAsAdmin(t.http);
    owner = await createUser(t.http, admin);
  });
  afterAll(() => t.close());

  const runJob = (name: string) => t.http().post(`/api/v1/admin/jobs/${name}/run`).set(bearer(admin)).expect(200);
  const reveal = (id: string, token = owner.token) => t.http().post(`/api/v1/keys/${id}/reveal`).set(bearer(token));

  async function rotatedSuccessor(): Promise<{ oldKey: string; successorId: string }> {
    const key = await createKey(t.http, owner.token, { rotationIntervalSeconds: 3600 });
    clock.advance(3601);
    await runJob('rotation');
    const successorId = (await t.http().get(`/api/v1/keys/${key.id}`).set(bearer(owner.token)).expect(200)).body.rotatedToId;
    return { oldKey: key.key, successorId };
  }

  it("reveals a scheduler-rotated key's secret to its owner once, and never twice", async () => {
    const { successorId } = await rotatedSuccessor();
    const db = t.app.get(DataSource);
    const [stored] = await db.query(`SELECT ciphertext, iv, auth_tag FROM key_secrets WHERE key_id = $1`, [successorId]);
    expect(stored).toBeDefined();

    await reveal(successorId, admin).expect(403);
    const first = await reveal(successorId).expect(200);
    expect(first.body).toMatchObject({ id: successorId, key: expect.stringMatching(/^kw_live_/) });
    expect(Buffer.from(stored.ciphertext).toString('utf8')).not.toContain(first.body.key);
    expect(Buffer.from(stored.ciphertext).toString('hex')).not.toContain(Buffer.from(first.body.key).toString('hex'));
    expect((await verify(t.http, admin, { key: first.body.key })).valid).toBe(true);

    expect((await reveal(successorId).expect(404)).body).toMatchObject({ code: 'NOT_FOUND' });
    expect(await db.query(`SELECT 1 FROM key_secrets WHERE key_id = $1`, [successorId])).toHaveLength(0);
    const audit = (await t.http().get(`/api/v1/admin/audit?targetId=${successorId}&action=key.revealed`).set(bearer(admin)).expect(200)).body.items;
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain(first.body.key);
  });

  it('destroys an unrevealed secret when the grace period ends', async () => {
    const { successorId } = await rotatedSuccessor();
    clock.advance(3601);
    const run = await runJob('expiry');
    expect(run.body.result.secretsDestroyed).toBeGreaterThanOrEqual(1);
    await reveal(successorId).expect(404);
  });

  it('disables keys unused for STALE_KEY_DAYS and records why', async () => {
    const used = await createKey(t.http, owner.token);
    const unused = await createKey(t.http, owner.token);
    clock.advance(31 * 86400);
    expect((await verify(t.http, admin, { key: used.key })).valid).toBe(true);
    await t.app.get(DataSource).query(`UPDATE api_keys SET last_used_at = $1 WHERE id = $2`, [clock.date().toISOString(), used.id]);
    await runJob('stale-keys');
    expect((await t.http().get(`/api/v1/keys/${unused.id}`).set(bearer(owner.token)).expect(200)).body.status).toBe('disabled');
    expect((await t.http().get(`/api/v1/keys/${used.id}`).set(bearer(owner.token)).expect(200)).body.status).toBe('active');
    expect(await verify(t.http, admin, { key: unused.key })).toEqual({ valid: false, code: 'DISABLED' });
    const [record] = (await t.http().get(`/api/v1/admin/audit?targetId=${unused.id}&action=key.disabled`).set(bearer(admin)).expect(200)).body.items;
    expect(record).toMatchObject({ actor: { type: 'system' }, details: { reason: 'unused for 30 days' } });
  });
});
