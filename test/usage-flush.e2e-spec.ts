import { Client } from 'pg';
import { UsageRecorder } from '../src/usage/usage-recorder';
import { loginAsAdmin } from './support/auth-helpers';
import { DedicatedPostgres } from './support/dedicated-postgres';
import { createKey, verify } from './support/keys-helpers';
import { startApp, TestStorage, type TestApp } from './support/test-app';

/**
 * What a crash can lose of the usage counters is bounded by how long a flush takes to commit, so a
 * flush must not queue behind management writes: a key row locked by a transaction still running
 * (a revocation waiting for the audit chain, say) is skipped, its last-used time kept for the next
 * flush. Needs two connections at once, so real PostgreSQL: a cluster of this spec's own.
 */
describe('usage flush under a held key row lock (e2e, dedicated PostgreSQL)', () => {
  let cluster: DedicatedPostgres;
  let storage: TestStorage;
  let t: TestApp;

  beforeAll(async () => {
    cluster = await DedicatedPostgres.start();
    storage = await TestStorage.create();
    t = await startApp(storage, { DATABASE_URL: cluster.url, REDIS_URL: '' });
  }, 120_000);
  afterAll(async () => {
    try {
      await t?.close();
      await storage?.destroy();
    } finally {
      await cluster?.destroy();
    }
  });

  it('commits the counters without waiting, and the last-used time once the row is free', async () => {
    const admin = await loginAsAdmin(t.http);
    const key = await createKey(t.http, admin);
    const recorder = t.app.get(UsageRecorder);
    const holder = new Client({ connectionString: cluster.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      // What a revocation does first; its transaction then queues for the audit chain.
      await holder.query('UPDATE api_keys SET revoked_reason = revoked_reason WHERE id = $1', [key.id]);
      expect(await verify(t.http, admin, { key: key.key })).toMatchObject({ valid: true });
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        recorder.flush().then(() => 'flushed'),
        new Promise((resolve) => (timer = setTimeout(() => resolve('still waiting for the row lock'), 10_000))),
      ]);
      clearTimeout(timer);
      expect(outcome).toBe('flushed');
      expect(await usage(key.id)).toEqual({ count: '1', last_used_at: null });
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    await recorder.flush();
    expect(await usage(key.id)).toEqual({ count: '1', last_used_at: expect.any(Date) });
  });

  async function usage(keyId: string) {
    const [row] = await cluster.query(
      `SELECT (SELECT coalesce(sum(count), 0) FROM key_usage_hourly WHERE key_id = $1 AND outcome = 'VALID')::text AS count,
              (SELECT last_used_at FROM api_keys WHERE id = $1) AS last_used_at`,
      [keyId],
    );
    return row;
  }
});
