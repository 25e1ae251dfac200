import { BUILT_IN_PERMISSIONS, BUILT_IN_ROLES, PERMISSION_CATEGORIES } from '../src/permissions/catalog';
import { bearer, createUser, loginAsAdmin } from './support/auth-helpers';
import { startIsolatedApp, type TestApp } from './support/test-app';

describe('permission catalog (e2e)', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await startIsolatedApp();
    admin = await loginAsAdmin(t.http);
  });
  afterAll(() => t.close());

  it('serves exactly the built-in permissions the code declares (seeded by migration)', async () => {
    const res = await t.http().get('/api/v1/permissions').set(bearer(admin)).expect(200);
    const served = res.body.items.map(({ name, category, description }: Record<string, string>) => ({ name, category, description }));
    expect(served).toEqual(expect.arrayContaining([...BUILT_IN_PERMISSIONS]));
    expect(served).toHaveLength(BUILT_IN_PERMISSIONS.length);
    expect(BUILT_IN_PERMISSIONS.length).toBeGreaterThanOrEqual(21);
    expect(new Set(BUILT_IN_PERMISSIONS.map((p) => p.category))).toEqual(new Set(PERMISSION_CATEGORIES));
    expect(res.body.items.every((p: { builtIn: boolean }) => p.builtIn)).toBe(true);
  });

  it('serves the built-in roles the code declares', async () => {
    const res = await t.http().get('/api/v1/roles').set(bearer(admin)).expect(200);
    expect(res.body.items).toEqual(
      [...BUILT_IN_ROLES]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((role) => ({ name: role.name, description: role.description, permissions: [...role.permissions], builtIn: true })),
    );
  });

  it('lets users read the catalog and refuses services', async () => {
    const user = await createUser(t.http, admin);
    await t.http().get('/api/v1/permissions').set(bearer(user.token)).expect(200);
    const service = await createUser(t.http, admin, ['service']);
    await t.http().get('/api/v1/roles').set(bearer(service.token)).expect(403);
  });
});
