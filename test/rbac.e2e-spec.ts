import { bearer, createUser, loginAsAdmin, type CreatedUser } from './support/auth-helpers';
import { createKey, verify } from './support/keys-helpers';
import { startIsolatedApp, type TestApp } from './support/test-app';

describe('RBAC: custom permissions and roles (e2e)', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await startIsolatedApp();
    admin = await loginAsAdmin(t.http);
  });
  afterAll(() => t.close());

  const asAdmin = () => bearer(admin);

  async function userWithRoles(roles: string[]): Promise<CreatedUser> {
    const user = await createUser(t.http, admin);
    await t.http().put(`/api/v1/admin/users/${user.id}/roles`).set(asAdmin()).send({ roles }).expect(200);
    return user;
  }

  it('registers a team permission, grants it through a custom role and checks it at verify', async () => {
    await t.http().post('/api/v1/admin/permissions').set(asAdmin()).send({ name: 'orders:read', description: 'Read orders' }).expect(201);
    await t.http().post('/api/v1/admin/permissions').set(asAdmin()).send({ name: 'orders:write' }).expect(201);
    await t.http().post('/api/v1/admin/permissions').set(asAdmin()).send({ name: 'orders:read' }).expect(409);
    const role = await t.http().post('/api/v1/admin/roles').set(asAdmin()).send({ name: 'orders-reader', permissions: ['orders:read'] }).expect(201);
    expect(role.body).toEqual({ name: 'orders-reader', description: '', permissions: ['orders:read'], builtIn: false });

    const user = await userWithRoles(['user', 'orders-reader']);
    const key = await createKey(t.http, user.token, { roles: ['orders-reader'] });
    expect(await verify(t.http, admin, { key: key.key, permissions: ['orders:read'] })).toMatchObject({ valid: true, permissions: ['orders:read'] });
    expect(await verify(t.http, admin, { key: key.key, permissions: ['orders:write'] })).toEqual({ valid: false, code: 'INSUFFICIENT_PERMISSIONS' });
    expect((await verify(t.http, admin, { key: key.key, permissionQuery: 'orders:read AND (orders:write OR orders:*)' })).valid).toBe(false);
    expect((await verify(t.http, admin, { key: key.key, permissionQuery: 'orders:write OR (orders:read and not:here) OR orders:read' })).valid).toBe(true);
    const syntax = await t.http().post('/api/v1/keys/verify').set(asAdmin()).send({ key: key.key, permissionQuery: 'orders:read AND (' }).expect(400);
    expect(syntax.body.message).toMatch(/permissionQuery: .*position/);

    // Editing the role changes what the key may do on the very next verification.
    await t.http().patch('/api/v1/admin/roles/orders-reader').set(asAdmin()).send({ permissions: ['orders:read', 'orders:write'] }).expect(200);
    expect((await verify(t.http, admin, { key: key.key, permissions: ['orders:write'] })).valid).toBe(true);
  });

  it('grants permissions to users directly, within the granter\'s own', async () => {
    await t.http().post('/api/v1/admin/permissions').set(asAdmin()).send({ name: 'reports:read' }).expect(201);
    const user = await userWithRoles(['user']);
    const updated = await t.http().patch(`/api/v1/admin/users/${user.id}`).set(asAdmin()).send({ permissions: ['reports:read'] }).expect(200);
    expect(updated.body).toMatchObject({ directPermissions: ['reports:read'] });
    expect(updated.body.permissions).toContain('reports:read');
    const key = await createKey(t.http, user.token, { permissions: ['reports:read'] });
    expect((await verify(t.http, admin, { key: key.key, permissions: ['reports:read'] })).valid).toBe(true);
    await t.http().patch(`/api/v1/admin/users/${user.id}`).set(asAdmin()).send({ permissions: [] }).expect(200);
    expect(await verify(t.http, admin, { key: key.key, permissions: ['reports:read'] })).toEqual({ valid: false, code: 'INSUFFICIENT_PERMISSIONS' });
    await t.http().patch(`/api/v1/admin/users/${user.id}`).set(asAdmin()).send({ permissions: ['nope:nope'] }).expect(400);
  });

  it('refuses unknown permissions in grants', async () => {
    const res = await t.http().post('/api/v1/keys').set(asAdmin()).send({ name: 'x', permissions: ['inventory:read'] }).expect(400);
    expect(res.body.message).toContain('inventory:read');
    await t.http().post('/api/v1/admin/roles').set(asAdmin()).send({ name: 'inv', permissions: ['inventory:*'] }).expect(400);
    await t.http().post('/api/v1/admin/permissions').set(asAdmin()).send({ name: 'inventory:*' }).expect(400);
    await t.http().post('/api/v1/admin/permissions').set(asAdmin()).send({ name: 'Inventory Read' }).expect(400);
  });

  it('protects built-ins and refuses to delete what is in use unless forced', async () => {
    await t.http().delete('/api/v1/admin/permissions/keys:read').set(asAdmin()).expect(409);
    await t.http().patch('/api/v1/admin/roles/admin').set(asAdmin()).send({ permissions: [] }).expect(409);
    await t.http().delete('/api/v1/admin/roles/user').set(asAdmin()).expect(409);
    await t.http().delete('/api/v1/admin/roles/no-such-role').set(asAdmin()).expect(404);

    await t.http().post('/api/v1/admin/permissions').set(asAdmin()).send({ name: 'billing:read' }).expect(201);
    await t.http().post('/api/v1/admin/roles').set(asAdmin()).send({ name: 'billing', permissions: ['billing:read'] }).expect(201);
    const key = await createKey(t.http, admin, { permissions: ['billing:read'] });
    expect((await verify(t.http, admin, { key: key.key, permissions: ['billing:read'] })).valid).toBe(true);

    await t.http().delete('/api/v1/admin/permissions/billing:read').set(asAdmin()).expect(409);
    await t.http().delete('/api/v1/admin/permissions/billing:read').query({ force: 'true' }).set(asAdmin()).expect(204);
    const roles = await t.http().get('/api/v1/roles').set(asAdmin()).expect(200);
    expect(roles.body.items.find((r: { name: string }) => r.name === 'billing').permissions).toEqual([]);
    const stored = await t.http().get(`/api/v1/keys/${key.id}`).set(asAdmin()).expect(200);
    expect(stored.body.permissions).toEqual([]);
    expect(await verify(t.http, admin, { key: key.key, permissions: ['billing:read'] })).toEqual({ valid: false, code: 'INSUFFICIENT_PERMISSIONS' });

    const holder = await userWithRoles(['billing']);
    await t.http().delete('/api/v1/admin/roles/billing').set(asAdmin()).expect(409);
    await t.http().delete('/api/v1/admin/roles/billing').query({ force: true }).set(asAdmin()).expect(204);
    const after = await t.http().get(`/api/v1/admin/users/${holder.id}`).set(asAdmin()).expect(200);
    expect(after.body.roles).toEqual([]);
  });

  it('stops a role manager from putting into a role what they do not hold', async () => {
    await t.http().post('/api/v1/admin/roles').set(asAdmin()).send({ name: 'role-manager', permissions: ['roles:manage', 'roles:read'] }).expect(201);
    const manager = await userWithRoles(['role-manager']);
    await t.http().post('/api/v1/admin/roles').set(bearer(manager.token)).send({ name: 'everything', permissions: ['*'] }).expect(403);
    await t.http().post('/api/v1/admin/roles').set(bearer(manager.token)).send({ name: 'readers', permissions: ['roles:read'] }).expect(201);
    await t.http().patch('/api/v1/admin/roles/readers').set(bearer(manager.token)).send({ permissions: ['users:delete'] }).expect(403);
    await t.http().post('/api/v1/admin/permissions').set(bearer(manager.token)).send({ name: 'x:y' }).expect(403);
  });

  it('refuses escalation attempts and writes nothing', async () => {
    const user = await userWithRoles(['user']);
    await t.http().put(`/api/v1/admin/users/${user.id}/roles`).set(bearer(user.token)).send({ roles: ['admin'] }).expect(403);
    await t.http().post('/api/v1/keys').set(bearer(user.token)).send({ name: 'x', permissions: ['users:delete'] }).expect(403);
    const me = await t.http().get('/api/v1/auth/me').set(bearer(user.token)).expect(200);
    expect(me.body.roles).toEqual(['user']);
    const keys = await t.http().get('/api/v1/keys').set(bearer(user.token)).expect(200);
    expect(keys.body.items).toEqual([]);
  });

  it('explains what a key and a user may do, and why', async () => {
    const user = await userWithRoles(['user', 'auditor']);
    const key = await createKey(t.http, user.token, { roles: ['auditor'], permissions: ['keys:read'] });
    const own = await t.http().get(`/api/v1/keys/${key.id}/effective-permissions`).set(bearer(user.token)).expect(200);
    expect(own.body).toMatchObject({ type: 'key', id: key.id, withheldByOwner: [] });
    expect(own.body.permissions).toEqual(expect.arrayContaining(['audit:read', 'keys:read']));
    expect(own.body.grants).toEqual(expect.arrayContaining([{ permission: 'keys:read', source: 'direct' }, { permission: 'audit:read', source: 'role:auditor' }]));
    const other = await userWithRoles(['user']);
    await t.http().get(`/api/v1/keys/${key.id}/effective-permissions`).set(bearer(other.token)).expect(404);

    // Demote the owner: the key keeps its grant on paper but loses it in effect.
    await t.http().put(`/api/v1/admin/users/${user.id}/roles`).set(asAdmin()).send({ roles: ['user'] }).expect(200);
    const demoted = await t.http().get(`/api/v1/keys/${key.id}/effective-permissions`).set(asAdmin()).expect(200);
    expect(demoted.body.withheldByOwner).toContain('audit:read');
    expect(demoted.body.permissions).toEqual(['keys:read', 'permissions:read', 'roles:read']);

    const check = await t
      .http()
      .post('/api/v1/admin/permissions/check')
      .set(asAdmin())
      .send({ userId: user.id, permissions: ['keys:read', 'users:read'], permissionQuery: 'keys:read OR users:read' })
      .expect(200);
    expect(check.body).toMatchObject({ type: 'user', granted: false, queryGranted: true });
    expect(check.body.decisions).toEqual([
      { permission: 'keys:read', granted: true, grantedBy: [{ permission: 'keys:read', source: 'role:user' }] },
      { permission: 'users:read', granted: false, grantedBy: [] },
    ]);
    await t.http().post('/api/v1/admin/permissions/check').set(asAdmin()).send({ userId: user.id, keyId: key.id, permissions: ['a:b'] }).expect(400);
    await t.http().post('/api/v1/admin/permissions/check').set(asAdmin()).send({ keyId: key.id, permissionQuery: '(' }).expect(400);
    // Someone else's key is a 404 here too (test/owasp.e2e-spec.ts covers users and keys as principals).
    await t.http().post('/api/v1/admin/permissions/check').set(bearer(other.token)).send({ keyId: key.id, permissions: ['a:b'] }).expect(404);
  });

  it('lists every owner\'s keys on /admin/keys for keys:read:all only', async () => {
    const user = await userWithRoles(['user']);
    const key = await createKey(t.http, user.token);
    await t.http().get('/api/v1/admin/keys').set(bearer(user.token)).expect(403);
    const all = await t.http().get('/api/v1/admin/keys').query({ ownerId: user.id }).set(asAdmin()).expect(200);
    expect(all.body.items.map((k: { id: string }) => k.id)).toEqual([key.id]);
  });
});
