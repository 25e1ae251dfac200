import { bearer, loginAsAdmin } from './support/auth-helpers';
import { startIsolatedApp, TEST_SECRETS, type TestApp } from './support/test-app';

describe('HTTP surface (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startIsolatedApp({ BODY_LIMIT: '2kb' });
  });
  afterAll(() => t.close());

  it('serves liveness and readiness without credentials', async () => {
    await t.http().get('/health/live').expect(200, { status: 'ok' });
    const ready = await t.http().get('/health/ready').expect(200);
    expect(ready.body.info.database.status).toBe('up');
    // Redis is reported only when configured, and never fails readiness (in-process fallback).
    if (process.env.REDIS_URL) expect(ready.body.info.redis).toEqual({ status: 'up', connected: true });
    else expect(ready.body.info.redis).toBeUndefined();
  });

  it('echoes a safe request id and replaces an unsafe one', async () => {
    const mine = await t.http().get('/api/v1/nope').set('X-Request-Id', 'abc-123').expect(404);
    expect(mine.headers['x-request-id']).toBe('abc-123');
    expect(mine.body.requestId).toBe('abc-123');
    const unsafe = await t.http().get('/api/v1/nope').set('X-Request-Id', 'bad id\twith spaces').expect(404);
    expect(unsafe.body.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rejects oversized bodies with 413 and malformed JSON with 400', async () => {
    const big = await t.http().post('/api/v1/auth/login').send({ email: 'a@b.c', password: 'x'.repeat(5000) }).expect(413);
    expect(big.body).toMatchObject({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE' });
    const bad = await t.http().post('/api/v1/auth/login').set('Content-Type', 'application/json').send('{"email":').expect(400);
    expect(bad.body).toMatchObject({ statusCode: 400, code: 'BAD_REQUEST' });
  });

  it('publishes the OpenAPI document with both security schemes', async () => {
    const res = await t.http().get('/docs-json').expect(200);
    expect(res.body.components.securitySchemes).toMatchObject({
      bearer: { type: 'http', scheme: 'bearer' },
      'api-key': { type: 'apiKey', in: 'header', name: 'X-API-Key' },
    });
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/api/v1/auth/login', '/api/v1/admin/users/{id}', '/health/ready']));
  });

  it('sets security headers', async () => {
    const res = await t.http().get('/health/live').expect(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('summarises the system for admins without any secret', async () => {
    const admin = await loginAsAdmin(t.http);
    const res = await t.http().get('/api/v1/admin/system').set(bearer(admin)).expect(200);
    expect(res.body).toMatchObject({
      version: expect.any(String),
      database: { status: 'up' },
      config: { keyPrefix: 'kw', hashAlgorithm: 'sha256' },
    });
    expect(res.body.jobs.map((j: { name: string }) => j.name).sort()).toEqual(['credit-refill', 'expiry', 'retention', 'rotation', 'stale-keys']);
    const text = JSON.stringify(res.body);
    for (const secret of Object.values(TEST_SECRETS)) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/postgres:\/\//);
  });
});
