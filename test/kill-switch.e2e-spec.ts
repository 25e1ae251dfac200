import { loginAsAdmin } from './support/auth-helpers';
import { createKey, verify } from './support/keys-helpers';
import { startIsolatedApp, type TestApp } from './support/test-app';

describe('kill switch KEYWARD_ENABLED=false (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startIsolatedApp({ KEYWARD_ENABLED: 'false' });
  });
  afterAll(() => t.close());

  it('fails every verification of a well-formed key with DISABLED, and refuses keys at the gateway', async () => {
    const admin = await loginAsAdmin(t.http);
    const key = await createKey(t.http, admin);
    expect(await verify(t.http, admin, { key: key.key })).toEqual({ valid: false, code: 'DISABLED' });
    expect(await verify(t.http, admin, { key: 'kw_live_garbage' })).toEqual({ valid: false, code: 'MALFORMED' });
    await t.http().get('/api/v1/auth/check').set('X-API-Key', key.key).expect(401);
  });
});
