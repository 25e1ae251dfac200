import { startIsolatedApp, type TestApp } from './support/test-app';

describe('login throttling (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startIsolatedApp({ THROTTLE_LOGIN_LIMIT: '3', THROTTLE_WINDOW: '60' });
  });
  afterAll(() => t.close());

  it('answers 429 with Retry-After and RateLimit headers past the per-IP login limit', async () => {
    for (let i = 0; i < 3; i++) {
      await t.http().post('/api/v1/auth/login').send({ email: 'nobody@example.test', password: 'whatever-password' }).expect(401);
    }
    const res = await t.http().post('/api/v1/auth/login').send({ email: 'nobody@example.test', password: 'whatever-password' }).expect(429);
    expect(res.body).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED' });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.headers['ratelimit-limit']).toBe('3');
    // Other routes keep their own, looser limit.
    await t.http().get('/health/live').expect(200);
  });
});
