import { DataSource, type EntitySubscriberInterface } from 'typeorm';
import { AuditBatcher } from '../src/audit/audit-batcher';
import { RetentionJob } from '../src/audit/retention.job';
import { UsageRecorder } from '../src/usage/usage-recorder';
import { bearer, loginAsAdmin } from './support/auth-helpers';
import { createKey, verify } from './support/keys-helpers';
import { startIsolatedApp, type TestApp } from './support/test-app';

/** Throws after the commit of the next transaction that ran a given statement, as a lost answer would. */
class LostCommitAnswers implements EntitySubscriberInterface {
  lost = 0;
  private statement?: string;
  private readonly marked = new WeakSet<object>();

  loseNext(statement: string): void {
    this.statement = statement;
  }

  afterQuery(event: { query: string; queryRunner: object }): void {
    if (this.statement && event.query.includes(this.statement)) this.marked.add(event.queryRunner);
  }

  afterTransactionCommit(event: { queryRunner: object }): void {
    if (!this.marked.has(event.queryRunner)) return;
    this.marked.delete(event.queryRunner);
    this.statement = undefined;
    this.lost++;
    throw new Error('Connection terminated unexpectedly');
  }
}

/**
 * When the connection drops during COMMIT (a database crash), the usage recorder and the audit
 * batcher cannot tell whether their batch landed. They retry it, and it must land exactly once:
 * not lost, not counted or appended twice. The lost answer is simulated after a real commit: a
 * subscriber throws from afterTransactionCommit, once, for the transaction that wrote the batch.
 */
describe('background batches whose commit answer is lost (e2e)', () => {
  let t: TestApp;
  let db: DataSource;
  let admin: string;
  const lostAnswers = new LostCommitAnswers();

  beforeAll(async () => {
    // Flushed by hand only, so each flush below is one batch.
    t = await startIsolatedApp({ AUDIT_LEVEL: 'verbose', AUDIT_FLUSH_INTERVAL_MS: '600000', USAGE_FLUSH_INTERVAL_MS: '600000' });
    db = t.app.get(DataSource);
    db.subscribers.push(lostAnswers);
    admin = await loginAsAdmin(t.http);
  });
  afterAll(() => t.close());

  async function verifyTimes(key: string, times: number): Promise<void> {
    for (let i = 0; i < times; i++) expect(await verify(t.http, admin, { key })).toMatchObject({ valid: true });
  }

  it.each([
    {
      what: 'usage counters',
      statement: 'INSERT INTO key_usage_hourly',
      flush: () => t.app.get(UsageRecorder).flush(),
      count: `SELECT coalesce(sum(count), 0)::int AS n FROM key_usage_hourly WHERE key_id = $1 AND outcome = 'VALID'`,
    },
    {
      what: 'verification audit records',
      statement: 'INSERT INTO audit_log',
      flush: () => t.app.get(AuditBatcher).flush(),
      count: `SELECT count(*)::int AS n FROM audit_log WHERE action = 'key.verified' AND target_id = $1::text`,
    },
  ])('writes $what once when a batch committed but its answer was lost', async ({ statement, flush, count }) => {
    const key = await createKey(t.http, admin);
    const written = async () => ((await db.query(count, [key.id])) as Array<{ n: number }>)[0].n;
    await verifyTimes(key.key, 3);

    const lostBefore = lostAnswers.lost;
    lostAnswers.loseNext(statement);
    await flush();
    expect(lostAnswers.lost).toBe(lostBefore + 1);
    expect(await written()).toBe(3);

    // Verifications after the lost answer are kept apart from the batch being retried.
    await verifyTimes(key.key, 2);
    await flush();
    expect(await written()).toBe(5);
    await flush();
    expect(await written()).toBe(5);
    const chain = await t.http().get('/api/v1/admin/audit/verify').set(bearer(admin)).expect(200);
    expect(chain.body).toMatchObject({ ok: true });
  });

  it('forgets batch ids after a day, by the database clock', async () => {
    await db.query(`INSERT INTO applied_batches (id, applied_at) VALUES (gen_random_uuid(), now() - interval '25 hours')`);
    const [{ n: recent }] = await db.query(`SELECT count(*)::int AS n FROM applied_batches`);
    expect(recent).toBeGreaterThan(1);
    expect((await t.app.get(RetentionJob).run()).appliedBatchesRemoved).toBe(1);
    expect((await db.query(`SELECT count(*)::int AS n FROM applied_batches`))[0].n).toBe(recent - 1);
  });
});
