import { generateKey } from '../src/api-keys/key-format';
import { JobRunner } from '../src/jobs/job-runner';
import { bearer, createUser, loginAsAdmin } from './support/auth-helpers';
import { createKey, verify, verifyUntil } from './support/keys-helpers';
import { startApp, TestStorage, type TestApp } from './support/test-app';
import { TestClock } from './support/test-clock';

/**
 * Several instances share state only through PostgreSQL and Redis. On the embedded database a
 * second instance is refused outright, which is what this spec checks there.
 */
const shared = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

describe('several instances (e2e)', () => {
  const clock = new TestClock();
  let storage: TestStorage;
  let a: TestApp;

  beforeAll(async () => {
    storage = await TestStorage.create();
    // A long cache TTL: only the Redis broadcast can make instance B notice the revocation quickly.
    a = await startApp(storage, { KEY_CACHE_TTL_SECONDS: '300', JOBS_ENABLED: 'false' }, clock);
  });
  afterAll(async () => {
    await a.close();
    await storage.destroy();
  });

  if (!shared) {
    it('refuses a second instance on the same embedded data dir', async () => {
      await expect(startApp(storage)).rejects.toThrow(/single-instance/);
    });
    return;
  }

  let b: TestApp;
  beforeAll(async () => {
    b = await startApp(storage, { KEY_CACHE_TTL_SECONDS: '300', JOBS_ENABLED: 'false' }, clock);
  });
  afterAll(() => b.close());

  it('sees a revocation made on another instance within one second', async () => {
    const admin = await loginAsAdmin(a.http);
    const user = await createUser(a.http, admin);
    const key = await createKey(a.http, user.token);
    expect((await verify(b.http, admin, { key: key.key })).valid).toBe(true); // now cached on B
    await a.http().post(`/api/v1/keys/${key.id}/revoke`).set(bearer(user.token)).send({}).expect(200);
    expect(await verifyUntil(b.http, admin, { key: key.key }, (answer) => !answer.valid)).toEqual({ valid: false, code: 'REVOKED' });
  });

  it('shares one per-key rate limit across instances', async () => {
    const admin = await loginAsAdmin(a.http);
    const key = await createKey(a.http, admin, { rateLimit: { limit: 10, windowSeconds: 60 } });
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => verify(i % 2 === 0 ? a.http : b.http, admin, { key: key.key })),
    );
    expect(results.filter((r) => r.valid)).toHaveLength(10);
    expect(results.filter((r) => r.code === 'RATE_LIMITED')).toHaveLength(20);
  });

  it('spends credits exactly across instances', async () => {
    const admin = await loginAsAdmin(a.http);
    const key = await createKey(a.http, admin, { remaining: 7 });
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => verify(i % 2 === 0 ? a.http : b.http, admin, { key: key.key })),
    );
    expect(results.filter((r) => r.valid)).toHaveLength(7);
  });

  it('keeps one unforked audit chain when both instances write at once', async () => {
    const admin = await loginAsAdmin(a.http);
    const before = (await a.http().get('/api/v1/admin/audit?limit=1').set(bearer(admin)).expect(200)).body.items[0].seq as number;
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a.http : b.http)().post('/api/v1/keys').set(bearer(admin)).send({ name: `race-${i}` }).expect(201)),
    );
    const created = (await a.http().get('/api/v1/admin/audit?action=key.created&limit=100').set(bearer(admin)).expect(200)).body.items;
    const seqs = created.filter((r: { seq: number }) => r.seq > before).map((r: { seq: number }) => r.seq);
    expect(new Set(seqs).size).toBe(40);
    expect((await b.http().get('/api/v1/admin/audit/verify').set(bearer(admin)).expect(200)).body).toMatchObject({ ok: true });
  });

  it('blocks a guessing source on both instances once the shared count reaches the limit', async () => {
    const admin = await loginAsAdmin(a.http);
    const limit = a.config.security.failedVerify.limit;
    const unknown = generateKey('kw', 'live', 32);
    for (let i = 0; i < limit; i++) {
      await (i % 2 === 0 ? a.http : b.http)().post('/api/v1/keys/verify').set(bearer(admin)).send({ key: unknown, ip: '192.0.2.200' }).expect(200);
    }
    // Each instance learns of the block at its next failure from that source at the latest.
    for (const instance of [a, b]) {
      const res = await instance.http().post('/api/v1/keys/verify').set(bearer(admin)).send({ key: unknown, ip: '192.0.2.200' });
      const next = res.status === 429 ? res : await instance.http().post('/api/v1/keys/verify').set(bearer(admin)).send({ key: unknown, ip: '192.0.2.200' });
      expect(next.status).toBe(429);
    }
  });

  it('runs a scheduled job tick on both instances once: each due key is rotated exactly once', async () => {
    const admin = await loginAsAdmin(a.http);
    const keys = await Promise.all([1, 2, 3, 4].map((i) => createKey(a.http, admin, { name: `due-${i}`, rotationIntervalSeconds: 3600 })));
    clock.advance(3601);
    const runs = await Promise.all([a.app.get(JobRunner).run('rotation'), b.app.get(JobRunner).run('rotation')]);
    const rotated = runs.reduce((sum, run) => sum + Number(run.result?.rotated ?? 0), 0);
    expect(rotated).toBe(4);
    for (const key of keys) {
      const records = (await a.http().get(`/api/v1/admin/audit?action=key.rotated&targetId=${key.id}`).set(bearer(admin)).expect(200)).body.items;
      expect(records).toHaveLength(1);
    }
    expect((await b.http().get('/api/v1/admin/audit/verify').set(bearer(admin)).expect(200)).body).toMatchObject({ ok: true });
  });
});
