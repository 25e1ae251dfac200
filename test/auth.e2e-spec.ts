import { bearer, createUser, login, loginAsAdmin, uniqueEmail } from './support/auth-helpers';
import { ADMIN_EMAIL, startIsolatedApp, type TestApp } from './support/test-app';

describe('auth (e2e)', () => {
  let t: TestApp;
  let adminToken: string;

  beforeAll(async () => {
    t = await startIsolatedApp({ LOGIN_MAX_FAILURES: '5' });
    adminToken = await loginAsAdmin(t.http);
  });
  afterAll(() => t.close());

  it('signs in the bootstrap admin with a bearer token', async () => {
    const res = await t.http().post('/api/v1/auth/login').send({ email: ADMIN_EMAIL.toUpperCase(), password: 'bootstrap-admin-password-1' }).expect(200);
    expect(res.body).toEqual({ accessToken: expect.any(String), tokenType: 'Bearer', expiresIn: 900 });
    const me = await t.http().get('/api/v1/auth/me').set(bearer(res.body.accessToken)).expect(200);
    expect(me.body).toMatchObject({ type: 'user', email: ADMIN_EMAIL, roles: ['admin'], permissions: ['*'] });
  });

  it('answers a wrong password and an unknown email identically', async () => {
    const user = await createUser(t.http, adminToken);
    const wrong = await t.http().post('/api/v1/auth/login').send({ email: user.email, password: 'not-the-password' }).expect(401);
    const unknown = await t.http().post('/api/v1/auth/login').send({ email: uniqueEmail('ghost'), password: 'not-the-password' }).expect(401);
    const strip = ({ requestId, ...rest }: Record<string, unknown>) => ({ ...rest, requestIdPresent: typeof requestId === 'string' });
    expect(strip(wrong.body)).toEqual(strip(unknown.body));
    expect(wrong.body).toMatchObject({ statusCode: 401, code: 'INVALID_CREDENTIALS', message: 'Invalid email or password' });
  });

  it('locks an account after 5 consecutive failures until an admin unlocks it', async () => {
    const user = await createUser(t.http, adminToken);
    for (let i = 0; i < 4; i++) {
      await t.http().post('/api/v1/auth/login').send({ email: user.email, password: 'wrong-password' }).expect(401);
    }
    const fifth = await t.http().post('/api/v1/auth/login').send({ email: user.email, password: 'wrong-password' }).expect(423);
    expect(fifth.body.code).toBe('ACCOUNT_LOCKED');
    // Even the right password is refused while locked.
    const locked = await t.http().post('/api/v1/auth/login').send({ email: user.email, password: user.password }).expect(423);
    expect(locked.body).toMatchObject({ code: 'ACCOUNT_LOCKED', details: { lockedUntil: expect.any(String) } });

    const detail = await t.http().get(`/api/v1/admin/users/${user.id}`).set(bearer(adminToken)).expect(200);
    expect(detail.body.lockedUntil).not.toBeNull();
    await t.http().post(`/api/v1/admin/users/${user.id}/unlock`).set(bearer(adminToken)).expect(200);
    await login(t.http, user.email, user.password);
  });

  it('resets the failure count on a successful sign-in', async () => {
    const user = await createUser(t.http, adminToken);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 4; i++) {
        await t.http().post('/api/v1/auth/login').send({ email: user.email, password: 'wrong-password' }).expect(401);
      }
      await login(t.http, user.email, user.password);
    }
  });

  it('refuses disabled users at sign-in and on existing tokens', async () => {
    const user = await createUser(t.http, adminToken);
    await t.http().patch(`/api/v1/admin/users/${user.id}`).set(bearer(adminToken)).send({ status: 'disabled' }).expect(200);
    await t.http().post('/api/v1/auth/login').send({ email: user.email, password: user.password }).expect(401);
    await t.http().get('/api/v1/auth/me').set(bearer(user.token)).expect(401);
  });

  it('refuses expired users', async () => {
    const user = await createUser(t.http, adminToken);
    await t.http().patch(`/api/v1/admin/users/${user.id}`).set(bearer(adminToken)).send({ expiresAt: new Date(Date.now() - 1000).toISOString() }).expect(200);
    await t.http().post('/api/v1/auth/login').send({ email: user.email, password: user.password }).expect(401);
  });

  it('requires credentials and rejects garbage tokens', async () => {
    const none = await t.http().get('/api/v1/auth/me').expect(401);
    expect(none.body).toMatchObject({ statusCode: 401, error: 'Unauthorized', code: 'UNAUTHENTICATED', requestId: expect.any(String) });
    await t.http().get('/api/v1/auth/me').set('Authorization', 'Bearer not.a.jwt').expect(401);
    await t.http().get('/api/v1/auth/me').set('Authorization', 'Basic abc').expect(401);
    const tampered = adminToken.slice(0, -2) + (adminToken.endsWith('A') ? 'BB' : 'AA');
    await t.http().get('/api/v1/auth/me').set(bearer(tampered)).expect(401);
  });

  it('changes a password with the current one and ends older sessions', async () => {
    const user = await createUser(t.http, adminToken);
    await t.http().post('/api/v1/auth/password').set(bearer(user.token)).send({ currentPassword: 'nope', newPassword: 'a-brand-new-password' }).expect(400);
    await t.http().post('/api/v1/auth/password').set(bearer(user.token)).send({ currentPassword: user.password, newPassword: 'short' }).expect(400);
    await t.http().post('/api/v1/auth/password').set(bearer(user.token)).send({ currentPassword: user.password, newPassword: 'a-brand-new-password' }).expect(204);
    await t.http().get('/api/v1/auth/me').set(bearer(user.token)).expect(401);
    await t.http().post('/api/v1/auth/login').send({ email: user.email, password: user.password }).expect(401);
    await login(t.http, user.email, 'a-brand-new-password');
  });

  it('validates the login body', async () => {
    const res = await t.http().post('/api/v1/auth/login').send({ email: 'a@b.c' }).expect(400);
    expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'password' })]));
  });
});
