import { randomBytes, randomInt } from 'node:crypto';
import { DedicatedPostgres } from './support/dedicated-postgres';
import { ServiceBuild, ServiceProcess, sleep } from './support/service-process';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from './support/test-app';
import { chaosSetting, redisEnvironment, Traffic, type Exchange } from './support/traffic';

/**
 * Crash safety (issue 8 item 4): the service, a child process on a PostgreSQL cluster of this spec's
 * own, takes a mixed load of key creations, revocations and verifications and is killed with
 * SIGKILL mid-load — no shutdown hook, no final flush. Every other round also crashes PostgreSQL
 * (`pg_ctl stop -m immediate`: WAL recovery on restart). After each restart:
 * - every key whose creation was answered 201 exists and verifies;
 * - every revocation answered 200 holds (and held at once: no `valid: true` for a verification sent
 *   after the revocation was answered, even during the load);
 * - nothing is half-written (each key and each revocation has its audit record, and only those do)
 *   and the audit chain verifies;
 * - usage lost is within the flush window: the outcomes counted in the database are at least the
 *   `valid: true` answers given up to FLUSH_WINDOW_MS before the kill, and never more than the
 *   verifications the service could have answered.
 *
 * The usage bound: the recorder swaps its buffer out at the start of each flush, every
 * USAGE_FLUSH_INTERVAL_MS. A crash loses what was recorded after the swap of the last flush that
 * committed: at most the outcomes of one interval plus those of the flush in flight (another
 * interval, if the crash lands while it writes), plus how late the timer fires and how long a batch
 * takes to commit on a busy machine (FLUSH_SLACK_MS, generous). A flush never queues behind the
 * management writes of the load (usage-flush.e2e-spec.ts): its commit time does not grow with them.
 *
 * `npm test` runs one small round per kind; `npm run test:chaos` runs more rounds with more load
 * (CHAOS_ROUNDS, CHAOS_CONCURRENCY, CHAOS_LOAD_MS).
 */
const ROUNDS = chaosSetting('CHAOS_ROUNDS', 2);
const CONCURRENCY = chaosSetting('CHAOS_CONCURRENCY', 6);
const LOAD_MS = chaosSetting('CHAOS_LOAD_MS', 5000);
const USAGE_FLUSH_INTERVAL_MS = 250;
const FLUSH_SLACK_MS = 2000;
const FLUSH_WINDOW_MS = 2 * USAGE_FLUSH_INTERVAL_MS + FLUSH_SLACK_MS;

interface CreatedKey {
  id: string;
  key: string;
  round: number;
  /** Set when a revocation was sent; `revokeAckedAt` once it was answered 200. */
  revoking?: boolean;
  revokeAckedAt?: number;
}

describe('crash safety: kill -9 under load (e2e, dedicated PostgreSQL, service as a child process)', () => {
  let build: ServiceBuild;
  let cluster: DedicatedPostgres | undefined;
  let service: ServiceProcess | undefined;
  let adminToken: string;
  let caller: string;
  const keys: CreatedKey[] = [];
  const env: Record<string, string> = {};

  const api = (path: string, token: string, body?: unknown) => service!.fetch(path, { token, body });

  beforeAll(async () => {
    build = await ServiceBuild.prepare();
    cluster = await DedicatedPostgres.start();
    Object.assign(env, {
      DATABASE_URL: cluster.url,
      ...redisEnvironment(),
      USAGE_FLUSH_INTERVAL_MS: String(USAGE_FLUSH_INTERVAL_MS),
      // Verification audit records are batched too: a crash mid-batch must not break the chain.
      AUDIT_LEVEL: 'verbose',
      AUDIT_FLUSH_INTERVAL_MS: '250',
    });
    service = await ServiceProcess.start(build.entry, env);
    adminToken = (await service.fetch('/api/v1/auth/login', { body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } })).body.accessToken as string;
    const res = await api('/api/v1/keys', adminToken, { name: 'verify caller', roles: ['service'] });
    expect(res.status).toBe(201);
    caller = res.body.key as string;
  }, 180_000);

  afterAll(async () => {
    try {
      await service?.kill9();
    } finally {
      await cluster?.destroy();
    }
  }, 60_000);

  for (let round = 0; round < ROUNDS; round++) {
    const crashDatabase = round % 2 === 1;
    it(`round ${round + 1}: kill -9 of the service${crashDatabase ? ' and a PostgreSQL crash' : ''} loses nothing acknowledged`, async () => {
      const traffic = new Traffic(service!);
      traffic.start(CONCURRENCY, () => step(traffic, round));
      const killAfter = Math.round(LOAD_MS * (0.8 + Math.random() * 0.2));
      await sleep(killAfter);
      const killedAt = Date.now();
      await service!.kill9();
      await traffic.stop();
      if (crashDatabase) {
        await cluster!.stop('immediate');
        await cluster!.restart();
      }

      const usage = await usageOf(keys.filter((k) => k.round === round).map((k) => k.id));
      service = await ServiceProcess.start(build.entry, env);

      checkAnswers(traffic.log, killedAt);
      checkRevokedAtOnce(traffic.log);
      checkUsageBound(traffic.log, usage, killedAt);
      await checkKeysAfterRestart(round);
      await checkNothingHalfWritten();
      const chain = await api('/api/v1/admin/audit/verify', adminToken);
      expect(chain.body).toMatchObject({ ok: true });
    }, 120_000);
  }

  /** One request of the mixed load: mostly verifications, some creations, a few revocations. */
  async function step(traffic: Traffic, round: number): Promise<void> {
    const mine = keys.filter((k) => k.round === round);
    const dice = randomInt(100);
    if (mine.length < 5 || dice < 25) {
      const name = `chaos-${round}-${randomBytes(6).toString('hex')}`;
      const res = await traffic.send('create', '/api/v1/keys', { token: adminToken, body: { name } }, name);
      if (res.status === 201) keys.push({ id: res.body!.id as string, key: res.body!.key as string, round });
      return;
    }
    if (dice < 35) {
      const candidates = mine.filter((k) => !k.revoking);
      if (candidates.length === 0) return;
      const key = candidates[randomInt(candidates.length)];
      key.revoking = true;
      const res = await traffic.send('revoke', `/api/v1/keys/${key.id}/revoke`, { token: adminToken, body: { reason: 'chaos' } }, key.id);
      if (res.status === 200) key.revokeAckedAt = res.doneAt;
      return;
    }
    const key = mine[randomInt(mine.length)];
    await traffic.send('verify', '/api/v1/keys/verify', { token: caller, body: { key: key.key } }, key.id);
  }

  /** Before the kill every request was answered as expected; after it only transport errors. */
  function checkAnswers(log: Exchange[], killedAt: number): void {
    const expected: Record<string, number> = { create: 201, revoke: 200, verify: 200 };
    const wrong = log.filter((e) => (e.status !== undefined ? e.status !== expected[e.op] : e.doneAt < killedAt));
    expect(wrong).toEqual([]);
    expect(log.filter((e) => e.op === 'verify' && e.body?.valid === true).length).toBeGreaterThan(0);
  }

  function checkRevokedAtOnce(log: Exchange[]): void {
    const ackedAt = new Map(keys.filter((k) => k.revokeAckedAt !== undefined).map((k) => [k.id, k.revokeAckedAt!]));
    const late = log.filter((e) => e.op === 'verify' && e.body?.valid === true && e.sentAt > (ackedAt.get(e.target!) ?? Infinity));
    expect(late).toEqual([]);
  }

  function checkUsageBound(log: Exchange[], counted: number, killedAt: number): void {
    const verifications = log.filter((e) => e.op === 'verify');
    const acknowledged = verifications.filter((e) => e.body?.valid === true);
    const settled = acknowledged.filter((e) => e.doneAt <= killedAt - FLUSH_WINDOW_MS).length;
    const unanswered = verifications.filter((e) => e.status === undefined).length;
    expect(counted).toBeGreaterThanOrEqual(settled);
    expect(counted).toBeLessThanOrEqual(acknowledged.length + unanswered);
    if (process.env.CHAOS_VERBOSE) {
      const answered = (op: string, status: number) => log.filter((e) => e.op === op && e.status === status).length;
      process.stdout.write(
        `chaos round: ${log.length} requests (${answered('create', 201)} keys created, ${answered('revoke', 200)} revoked, ` +
          `${acknowledged.length} valid verifications, the last answered ${killedAt - Math.max(...acknowledged.map((e) => e.doneAt))} ms before the kill); ` +
          `usage counted ${counted}, lost ${acknowledged.length - counted} (bound: ${acknowledged.length - settled} answered within ${FLUSH_WINDOW_MS} ms of the kill, ${unanswered} unanswered)\n`,
      );
    }
  }

  async function checkKeysAfterRestart(round: number): Promise<void> {
    const created = await cluster!.query<{ id: string; revoked: boolean }>(`SELECT id, revoked_at IS NOT NULL AS revoked FROM api_keys WHERE id = ANY($1::uuid[])`, [
      keys.map((k) => k.id),
    ]);
    const revokedInDb = new Map(created.map((row) => [row.id, row.revoked]));
    expect(keys.filter((k) => !revokedInDb.has(k.id))).toEqual([]);
    expect(keys.filter((k) => k.revokeAckedAt !== undefined && !revokedInDb.get(k.id))).toEqual([]);

    // Through the restarted service: this round's keys, and every acknowledged revocation so far.
    const toVerify = keys.filter((k) => k.round === round || k.revokeAckedAt !== undefined);
    const results = await inBatches(toVerify, 8, async (k) => ({ k, res: await api('/api/v1/keys/verify', caller, { key: k.key }) }));
    const wrong = results.filter(({ k, res }) => {
      if (res.status !== 200) return true;
      if (k.revokeAckedAt !== undefined) return res.body.code !== 'REVOKED';
      // A revocation in flight at the kill may or may not have committed.
      if (k.revoking) return !(res.body.valid === true || res.body.code === 'REVOKED');
      return res.body.valid !== true || res.body.keyId !== k.id;
    });
    expect(wrong.map(({ k, res }) => ({ id: k.id, round: k.round, acked: k.revokeAckedAt, answer: res.body }))).toEqual([]);
  }

  /** Each change and its audit record share a transaction: neither exists without the other. */
  async function checkNothingHalfWritten(): Promise<void> {
    expect(
      await cluster!.query(`
        SELECT k.id FROM api_keys k
         WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.action = 'key.created' AND a.target_id = k.id::text)
            OR (k.revoked_at IS NOT NULL) <> EXISTS (SELECT 1 FROM audit_log a WHERE a.action = 'key.revoked' AND a.target_id = k.id::text)`),
    ).toEqual([]);
    expect(
      await cluster!.query(`
        SELECT a.seq FROM audit_log a
         WHERE a.action = 'key.created' AND NOT EXISTS (SELECT 1 FROM api_keys k WHERE k.id::text = a.target_id)`),
    ).toEqual([]);
  }

  async function usageOf(ids: string[]): Promise<number> {
    const [row] = await cluster!.query<{ count: string }>(
      `SELECT coalesce(sum(count), 0) AS count FROM key_usage_hourly WHERE key_id = ANY($1::uuid[]) AND outcome = 'VALID'`,
      [ids],
    );
    return Number(row.count);
  }
});

async function inBatches<T, R>(items: T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) results.push(...(await Promise.all(items.slice(i, i + size).map(work))));
  return results;
}
