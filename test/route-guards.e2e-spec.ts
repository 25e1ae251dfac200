import { isGranted } from '../src/permissions/permission-evaluator';
import { bearer, createUser, loginAsAdmin } from './support/auth-helpers';
import { createKey } from './support/keys-helpers';
import { startIsolatedApp, type TestApp } from './support/test-app';

interface Operation {
  method: string;
  path: string;
  required?: string[];
  isPublic: boolean;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/**
 * Every route the application registers, from its own OpenAPI document: each must be public or
 * declare its permissions, callers lacking them get 403, callers holding them get past the guard.
 */
describe('every route is guarded (e2e)', () => {
  let t: TestApp;
  let operations: Operation[];
  const principals: Array<{ name: string; headers: Record<string, string>; permissions: string[] }> = [];

  beforeAll(async () => {
    t = await startIsolatedApp();
    const doc = (await t.http().get('/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, { 'x-required-permissions'?: string[]; 'x-public'?: boolean }>>;
    };
    operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m]).map((method) => ({
        method,
        path: path.replace('{id}', '00000000-0000-4000-8000-000000000000').replace('{name}', 'nothing:here'),
        required: item[method]['x-required-permissions'],
        isPublic: item[method]['x-public'] === true,
      })),
    );
    const admin = await loginAsAdmin(t.http);
    principals.push({ name: 'admin', headers: bearer(admin), permissions: ['*'] });
    const roles = (await t.http().get('/api/v1/roles').set(bearer(admin)).expect(200)).body.items as Array<{ name: string; permissions: string[] }>;
    for (const role of ['user', 'auditor', 'service']) {
      const user = await createUser(t.http, admin, [role]);
      principals.push({ name: role, headers: bearer(user.token), permissions: roles.find((r) => r.name === role)!.permissions });
    }
    await t.http().post('/api/v1/admin/roles').set(bearer(admin)).send({ name: 'key-reader', permissions: ['keys:read', 'roles:read'] }).expect(201);
    const narrow = await createKey(t.http, admin, { roles: ['key-reader'] });
    principals.push({ name: 'key with a narrow custom role', headers: { 'X-API-Key': narrow.key }, permissions: ['keys:read', 'roles:read'] });
  });
  afterAll(() => t.close());

  it('finds the routes', () => {
    expect(operations.length).toBeGreaterThan(25);
  });

  it('declares every non-public route\'s permissions', () => {
    const undeclared = operations.filter((op) => !op.isPublic && op.required === undefined);
    expect(undeclared.map((op) => `${op.method.toUpperCase()} ${op.path}`)).toEqual([]);
  });

  it('answers 401 without credentials on every non-public route', async () => {
    for (const op of operations.filter((o) => !o.isPublic)) {
      const res = await t.http()[op.method as (typeof METHODS)[number]](op.path).send({});
      expect({ route: `${op.method} ${op.path}`, status: res.status }).toEqual({ route: `${op.method} ${op.path}`, status: 401 });
    }
  });

  it('answers 403 to every role lacking a route\'s permissions, and lets holders past the guard', async () => {
    const mismatches: string[] = [];
    for (const op of operations.filter((o) => !o.isPublic)) {
      for (const principal of principals) {
        const allowed = op.required!.every((permission) => isGranted(permission, principal.permissions));
        const res = await t.http()[op.method as (typeof METHODS)[number]](op.path).set(principal.headers).send({});
        const refused = res.status === 403 && /Missing permission/.test(res.body.message);
        if (allowed === refused || res.status === 401) mismatches.push(`${principal.name}: ${op.method.toUpperCase()} ${op.path} -> ${res.status}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});
