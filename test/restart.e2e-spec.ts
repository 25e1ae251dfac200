import { bearer, createUser, login, loginAsAdmin } from './support/auth-helpers';
import { startApp, TestStorage } from './support/test-app';

describe('restart (e2e)', () => {
  let storage: TestStorage;

  beforeAll(async () => {
    storage = await TestStorage.create();
  });
  afterAll(() => storage.destroy());

  it('keeps users, passwords and signing secrets across an application restart', async () => {
    const first = await startApp(storage);
    const adminToken = await loginAsAdmin(first.http);
    const user = await createUser(first.http, adminToken);
    await first.close();

    const second = await startApp(storage);
    try {
      // The token from before the restart is still valid: same signing key, same user row.
      await second.http().get('/api/v1/auth/me').set(bearer(user.token)).expect(200);
      await login(second.http, user.email, user.password);
      const admin = await loginAsAdmin(second.http);
      const users = await second.http().get('/api/v1/admin/users').set(bearer(admin)).expect(200);
      expect(users.body.items).toHaveLength(2);
    } finally {
      await second.close();
    }
  });
});
