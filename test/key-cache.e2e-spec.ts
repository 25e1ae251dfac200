import { DataSource } from 'typeorm';
import { loginAsAdmin } from './support/auth-helpers';
import { createKey, verify, verifyUntil } from './support/keys-helpers';
import { startIsolatedApp, type TestApp } from './support/test-app';
import { TestClock } from './support/test-clock';

/** Key cache refresh-ahead: a key in use is reloaded before its TTL, while its cached copy keeps serving. */
describe('key cache (e2e)', () => {
  const TTL_SECONDS = 60;
  const clock = new TestClock();
  let t: TestApp;
  let admin: string;
  let db: DataSource;

  beforeAll(async () => {
    t = await startIsolatedApp({ KEY_CACHE_TTL_SECONDS: String(TTL_SECONDS), JOBS_ENABLED: 'false', RATE_LIMIT_DEFAULT: '0' }, clock);
    admin = await loginAsAdmin(t.http);
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  /** A change behind the service's back: no invalidation, so only a reload can reveal it. */
  const renameInDatabase = (id: string, name: string) => db.query('UPDATE api_keys SET name = $1 WHERE id = $2', [name, id]);

  it('reloads a key in use before its TTL, serving the cached copy meanwhile', async () => {
    const key = await createKey(t.http, admin, { name: 'before' });
    expect(await verify(t.http, admin, { key: key.key })).toMatchObject({ valid: true, name: 'before' });
    await renameInDatabase(key.id, 'after');

    clock.advance(TTL_SECONDS / 2); // before any refresh point (70–90% of the TTL)
    expect(await verify(t.http, admin, { key: key.key })).toMatchObject({ name: 'before' });

    clock.advance(TTL_SECONDS * 0.45); // past every refresh point, still within the TTL
    expect(await verify(t.http, admin, { key: key.key })).toMatchObject({ name: 'before' });
    expect(await verifyUntil(t.http, admin, { key: key.key }, (answer) => answer.name !== 'before')).toMatchObject({ name: 'after' });
  });

  it('drops a cached key the refresh no longer finds', async () => {
    const key = await createKey(t.http, admin, { name: 'doomed' });
    expect(await verify(t.http, admin, { key: key.key })).toMatchObject({ valid: true });
    await db.query('DELETE FROM api_keys WHERE id = $1', [key.id]);

    clock.advance(TTL_SECONDS * 0.95);
    expect(await verify(t.http, admin, { key: key.key })).toMatchObject({ valid: true }); // the cached copy, while the refresh runs
    expect(await verifyUntil(t.http, admin, { key: key.key }, (answer) => !answer.valid)).toEqual({ valid: false, code: 'NOT_FOUND' });
  });
});
