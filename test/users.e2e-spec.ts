import { bearer, createUser, loginAsAdmin, uniqueEmail } from './support/auth-helpers';
import { startIsolatedApp, type TestApp } from './support/test-app';

describe('admin users (e2e)', () => {
  let t: TestApp;
  let adminToken: string;

  beforeAll(async () => {
    t = await startIsolatedApp();
    adminToken = await loginAsAdmin(t.http);
  });
  afterAll(() => t.close());

  const post = (body: unknown) => t.http().post('/api/v1/admin/users').set(bearer(adminToken)).send(body as object);

  it('creates a user and never returns the password or its hash', async () => {
    const email = uniqueEmail();
    const res = await post({ email, name: 'Grace', password: 'a-long-enough-password' }).expect(201);
    expect(res.body).toMatchObject({ email, name: 'Grace', status: 'active', roles: ['user'] });
    expect(JSON.stringify(res.body)).not.toMatch(/password|\$2[aby]\$/i);
  });

  it.each([
    ['unknown field', { email: 'x@example.test', name: 'X', password: 'a-long-enough-password', isAdmin: true }, 'isAdmin'],
    ['missing field', { email: 'x@example.test', password: 'a-long-enough-password' }, 'name'],
    ['too long', { email: 'x@example.test', name: 'n'.repeat(101), password: 'a-long-enough-password' }, 'name'],
    ['wrong type', { email: 'x@example.test', name: 42, password: 'a-long-enough-password' }, 'name'],
    ['bad email', { email: 'not-an-email', name: 'X', password: 'a-long-enough-password' }, 'email'],
    ['short password', { email: 'x@example.test', name: 'X', password: 'short' }, 'password'],
    ['password over 128', { email: 'x@example.test', name: 'X', password: 'p'.repeat(129) }, 'password'],
    ['roles not a list', { email: 'x@example.test', name: 'X', password: 'a-long-enough-password', roles: 'admin' }, 'roles'],
  ])('rejects %s with 400 and field details', async (_, body, field) => {
    const res = await post(body).expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', code: 'VALIDATION_FAILED', requestId: expect.any(String) });
    expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it('rejects an unknown role', async () => {
    const res = await post({ email: uniqueEmail(), name: 'X', password: 'a-long-enough-password', roles: ['wizard'] }).expect(400);
    expect(res.body.message).toContain('wizard');
  });

  it('refuses duplicate emails case-insensitively with 409', async () => {
    const email = uniqueEmail('dup');
    await post({ email, name: 'A', password: 'a-long-enough-password' }).expect(201);
    const res = await post({ email: email.toUpperCase(), name: 'B', password: 'a-long-enough-password' }).expect(409);
    expect(res.body).toMatchObject({ statusCode: 409, error: 'Conflict', code: 'CONFLICT' });
  });

  it('answers 404 in the standard shape for unknown users and routes', async () => {
    const missing = await t.http().get('/api/v1/admin/users/6f1c1c9e-3a55-4d4f-9d5e-1f0e3c2b1a00').set(bearer(adminToken)).expect(404);
    expect(missing.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'User not found', code: 'NOT_FOUND', requestId: expect.any(String) });
    const route = await t.http().get('/api/v1/no-such-route').expect(404);
    expect(route.body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
    await t.http().get('/api/v1/admin/users/not-a-uuid').set(bearer(adminToken)).expect(400);
  });

  it('forbids a plain user from admin routes with 403', async () => {
    const user = await createUser(t.http, adminToken);
    const res = await t.http().get('/api/v1/admin/users').set(bearer(user.token)).expect(403);
    expect(res.body).toMatchObject({ statusCode: 403, code: 'FORBIDDEN', message: 'Missing permission: users:read' });
    await t.http().get('/api/v1/admin/users').expect(401);
  });

  it('stops a user granting roles beyond their own permissions', async () => {
    const auditor = await createUser(t.http, adminToken, ['auditor']);
    await t.http().put(`/api/v1/admin/users/${auditor.id}/roles`).set(bearer(auditor.token)).send({ roles: ['admin'] }).expect(403);
  });

  it('sets roles, updates, lists with a cursor, and deletes', async () => {
    const user = await createUser(t.http, adminToken);
    const roles = await t.http().put(`/api/v1/admin/users/${user.id}/roles`).set(bearer(adminToken)).send({ roles: ['auditor', 'user'] }).expect(200);
    expect(roles.body.roles).toEqual(['auditor', 'user']);
    expect(roles.body.permissions).toContain('audit:read');
    const renamed = await t.http().patch(`/api/v1/admin/users/${user.id}`).set(bearer(adminToken)).send({ name: 'Renamed' }).expect(200);
    expect(renamed.body.name).toBe('Renamed');

    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: { body: { items: Array<{ id: string }>; nextCursor: string | null } } = await t
        .http()
        .get('/api/v1/admin/users')
        .query(cursor ? { limit: 2, cursor } : { limit: 2 })
        .set(bearer(adminToken))
        .expect(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      for (const item of page.body.items) {
        expect(seen.has(item.id)).toBe(false);
        seen.add(item.id);
      }
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.has(user.id)).toBe(true);

    const filtered = await t.http().get('/api/v1/admin/users').query({ role: 'auditor', q: 'Renamed' }).set(bearer(adminToken)).expect(200);
    expect(filtered.body.items.map((u: { id: string }) => u.id)).toEqual([user.id]);

    await t.http().get('/api/v1/admin/users').query({ limit: 1000 }).set(bearer(adminToken)).expect(400);
    await t.http().get('/api/v1/admin/users').query({ cursor: 'garbage' }).set(bearer(adminToken)).expect(400);

    await t.http().delete(`/api/v1/admin/users/${user.id}`).set(bearer(adminToken)).expect(204);
    await t.http().get(`/api/v1/admin/users/${user.id}`).set(bearer(adminToken)).expect(404);
    await t.http().get('/api/v1/auth/me').set(bearer(user.token)).expect(401);
  });

  it('does not let an admin disable or delete themselves', async () => {
    const me = await t.http().get('/api/v1/auth/me').set(bearer(adminToken)).expect(200);
    await t.http().patch(`/api/v1/admin/users/${me.body.id}`).set(bearer(adminToken)).send({ status: 'disabled' }).expect(409);
    await t.http().delete(`/api/v1/admin/users/${me.body.id}`).set(bearer(adminToken)).expect(409);
  });
});
