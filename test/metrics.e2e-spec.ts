import { generateKey } from '../src/api-keys/key-format';
import { bearer, createUser, loginAsAdmin } from './support/auth-helpers';
import { createKey, verify } from './support/keys-helpers';
import { startIsolatedApp, type TestApp } from './support/test-app';

const CUSTOM_METRICS = [
  'keyward_verifications_total',
  'keyward_verify_duration_seconds',
  'keyward_key_cache_lookups_total',
  'keyward_usage_flush_rows_total',
  'keyward_usage_flush_failures_total',
  'keyward_audit_batch_size',
  'keyward_audit_batch_failures_total',
  'keyward_logins_total',
  'keyward_rate_limited_total',
  'keyward_security_events_total',
  'keyward_redis_up',
];

/** A sample's value in a fresh scrape; 0 while the series has not been exported yet. */
async function sample(t: TestApp, token: string, series: string): Promise<number> {
  const res = await t.http().get('/metrics').set(bearer(token)).expect(200);
  const line = res.text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe('GET /metrics (e2e)', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await startIsolatedApp();
    admin = await loginAsAdmin(t.http);
  });
  afterAll(() => t.close());

  it('refuses callers without credentials with the standard error', async () => {
    const res = await t.http().get('/metrics').expect(401);
    expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized', code: 'UNAUTHENTICATED', requestId: expect.any(String) });
  });

  it('refuses callers without monitoring:read', async () => {
    const user = await createUser(t.http, admin, ['user']);
    const res = await t.http().get('/metrics').set(bearer(user.token)).expect(403);
    expect(res.body).toMatchObject({ statusCode: 403, code: 'FORBIDDEN', message: 'Missing permission: monitoring:read' });
  });

  it('serves the Prometheus text format, outside the API prefix, with process and service metrics', async () => {
    const res = await t.http().get('/metrics').set(bearer(admin)).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.text).toContain('# TYPE keyward_process_cpu_user_seconds_total counter');
    for (const name of CUSTOM_METRICS) expect(res.text).toContain(`# HELP ${name} `);
    await t.http().get('/api/v1/metrics').set(bearer(admin)).expect(404);
  });

  it('reports whether Redis is up (0 without REDIS_URL)', async () => {
    expect(await sample(t, admin, 'keyward_redis_up')).toBe(t.config.redis.url ? 1 : 0);
  });

  it('lets a scraper in with an API key holding monitoring:read', async () => {
    const scraper = await createKey(t.http, admin, { name: 'prometheus', permissions: ['monitoring:read'] });
    await t.http().get('/metrics').set('X-API-Key', scraper.key).expect(200);
    await t.http().get('/metrics').set('Authorization', `Bearer ${scraper.key}`).expect(200);
  });

  // Depends on KeyVerifier recording each verification.
  it('counts verifications by outcome', async () => {
    const key = await createKey(t.http, admin);
    const valid = 'keyward_verifications_total{outcome="VALID"}';
    const notFound = 'keyward_verifications_total{outcome="NOT_FOUND"}';
    const [validBefore, notFoundBefore] = [await sample(t, admin, valid), await sample(t, admin, notFound)];

    expect(await verify(t.http, admin, { key: key.key })).toMatchObject({ valid: true });
    expect(await verify(t.http, admin, { key: key.key })).toMatchObject({ valid: true });
    const unknown = generateKey(t.config.keys.prefix, 'live', t.config.keys.secretBytes);
    expect(await verify(t.http, admin, { key: unknown })).toEqual({ valid: false, code: 'NOT_FOUND' });

    expect(await sample(t, admin, valid)).toBe(validBefore + 2);
    expect(await sample(t, admin, notFound)).toBe(notFoundBefore + 1);
  });
});

describe('rate-limit metrics (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startIsolatedApp({ THROTTLE_LOGIN_LIMIT: '2', THROTTLE_WINDOW: '60' });
  });
  afterAll(() => t.close());

  it('counts per-address throttling refusals', async () => {
    const admin = await loginAsAdmin(t.http);
    const series = 'keyward_rate_limited_total{limiter="client"}';
    expect(await sample(t, admin, series)).toBe(0);
    const wrong = { email: 'nobody@example.test', password: 'whatever-password' };
    await t.http().post('/api/v1/auth/login').send(wrong).expect(401);
    await t.http().post('/api/v1/auth/login').send(wrong).expect(429);
    expect(await sample(t, admin, series)).toBe(1);
  });
});
