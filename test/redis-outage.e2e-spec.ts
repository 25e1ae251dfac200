import { loginAsAdmin } from './support/auth-helpers';
import { createKey, verify } from './support/keys-helpers';
import { startIsolatedApp, type TestApp } from './support/test-app';

describe('Redis configured but unreachable (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    // Nothing listens on port 1: every Redis operation fails.
    t = await startIsolatedApp({ REDIS_URL: 'redis://127.0.0.1:1' });
  });
  afterAll(() => t.close());

  it('stays ready and keeps limiting per instance', async () => {
    const ready = await t.http().get('/health/ready').expect(200);
    expect(ready.body.info.redis).toEqual({ status: 'up', connected: false, mode: 'in-process fallback' });
    const admin = await loginAsAdmin(t.http);
    const key = await createKey(t.http, admin, { rateLimit: { limit: 2, windowSeconds: 60 } });
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await verify(t.http, admin, { key: key.key }));
    expect(results.map((r) => r.valid)).toEqual([true, true, false]);
    expect(results[2].code).toBe('RATE_LIMITED');
    await t.http().post(`/api/v1/keys/${key.id}/revoke`).set('Authorization', `Bearer ${admin}`).send({}).expect(200);
    expect(await verify(t.http, admin, { key: key.key })).toEqual({ valid: false, code: 'REVOKED' });
  });
});
