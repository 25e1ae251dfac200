/**
 * `npm run bench`: starts Keyward as a child process (production mode, real PostgreSQL, logs at
 * warn), seeds keys straight into the database, drives load with autocannon from this process
 * (50 connections, a warm-up, then a fixed duration) and writes BENCHMARKS.md: every scenario's
 * ratio to the baseline route measured in the same run, and each target met or missed.
 * Options: --keys N (default 100000; 1000000 for the large run), --duration S (default 10),
 * --rate R (offered req/s of the latency runs, default 1000).
 * Env: BENCH_DATABASE_URL (server, default postgres://postgres@127.0.0.1:5432); BENCH_REDIS_URL
 * (Redis for the main instance; the propagation pair always uses it, default redis://127.0.0.1:6379).
 */
import { hash } from 'bcrypt';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { CONNECTIONS, measure, measurePaced, type LoadTarget, type Measurement } from './bench/load';
import { compareAuditLevels } from './bench/audit-levels';
import { writeReport, type BenchRun } from './bench/report';
import { seedKeys } from './bench/seed';
import { freePort } from '../test/support/free-port';
import { ADMIN, BenchService, SECRETS, withService } from './bench/service';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const KEY_COUNT = option('keys', 100_000);
const DURATION = option('duration', 10);
const RATE = option('rate', 1000);
/** "A few thousand distinct keys": the warm working set. */
const WARM_KEYS = Math.min(2000, KEY_COUNT);
const RSS_KEYS = Math.min(100_000, KEY_COUNT);
const BCRYPT_KEYS = 100;
const REVOCATIONS = 100;
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432';
const REDIS_URL = process.env.BENCH_REDIS_URL;
/** PostgreSQL flushes a backend's statistics at most every 10 s while it is idle. */
const STATS_FLUSH_MS = 11_000;

async function main(): Promise<void> {
  const database = `keyward_bench_${Date.now()}`;
  const databaseUrl = `${SERVER_URL}/${database}`;
  await sql(`${SERVER_URL}/postgres`, `CREATE DATABASE ${database}`);
  const mainEnv: Record<string, string> = REDIS_URL ? { REDIS_URL, REDIS_KEY_PREFIX: `${database}:` } : {};
  try {
    const run: BenchRun = { keyCount: KEY_COUNT, duration: DURATION, rate: RATE, redis: REDIS_URL !== undefined, results: [] };
    const results = run.results;
    let keys: string[] = [];
    let caller = '';
    const verify = (pool: () => string): LoadTarget => ({
      method: 'POST',
      path: '/api/v1/keys/verify',
      headers: { 'content-type': 'application/json', 'x-api-key': caller },
      body: () => JSON.stringify({ key: pool() }),
    });
    const cycle = (set: string[]) => {
      let next = 0;
      return () => set[next++ % set.length];
    };
    const randomKey = () => keys[Math.floor(Math.random() * keys.length)];
    const forwardAuth = (set: string[]): LoadTarget => {
      const next = cycle(set);
      return { method: 'GET', path: '/api/v1/auth/check', headersFor: () => ({ 'x-api-key': next() }) };
    };
    const saturated = (service: BenchService) => ({ duration: DURATION, cpuSeconds: () => service.cpuSeconds() });

    await withService(databaseUrl, { ...mainEnv, AUDIT_LEVEL: 'basic' }, async (service) => {
      const token = await service.adminToken();
      caller = (await service.api<{ key: string }>('POST', '/api/v1/keys', token, { name: 'bench caller', permissions: ['keys:verify'] })).key;
      const seeding = performance.now();
      keys = await seedKeys(databaseUrl, ADMIN.email, SECRETS.KEY_HASH_PEPPER, KEY_COUNT);
      run.seedSeconds = (performance.now() - seeding) / 1000;
      console.log(`seeded ${keys.length} keys in ${run.seedSeconds.toFixed(1)} s; ${DURATION} s per scenario, ${CONNECTIONS} connections`);
      const warm = keys.slice(0, WARM_KEYS);

      results.push(await measure('baseline: GET /health/live', service.base, { method: 'GET', path: '/health/live' }, saturated(service)));
      results.push(await measure('verify, warm cache', service.base, verify(cycle(warm)), saturated(service)));
      results.push(await measure('forward-auth GET /auth/check, warm', service.base, forwardAuth(warm), saturated(service)));
      results.push(await measurePaced(`verify, warm cache, ${RATE} req/s offered`, service.base, verify(cycle(warm)), RATE, DURATION));
      results.push(await measurePaced(`forward-auth, warm, ${RATE} req/s offered`, service.base, forwardAuth(warm), RATE, DURATION));

      // Garbage shaped like keys but failing the checksum: answered before any I/O.
      const malformed = Array.from({ length: 1000 }, () => `kw_live_${randomBytes(32).toString('base64url').replace(/[-_]/g, 'x')}`);
      await sleep(STATS_FLUSH_MS);
      const before = await transactions(databaseUrl);
      const flood = await measure('malformed keys flood (verify)', service.base, verify(cycle(malformed)), saturated(service));
      await sleep(STATS_FLUSH_MS);
      // Minus the one transaction of our own first reading.
      run.malformed = { requests: flood.total, transactions: (await transactions(databaseUrl)) - before - 1 };
      results.push(flood);

      results.push(
        await measure('key creation POST /keys', service.base, {
          method: 'POST',
          path: '/api/v1/keys',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: (i) => JSON.stringify({ name: `created ${i}`, permissions: ['keys:read'] }),
        }, saturated(service)),
      );

      // Every request a distinct key, so each is loaded once and stays cached.
      const rssBefore = service.rssMiB();
      await measure(`cache fill: ${RSS_KEYS} distinct keys`, service.base, verify(cycle(keys.slice(0, RSS_KEYS))), { amount: RSS_KEYS, warmUp: false });
      run.rss = { keys: RSS_KEYS, beforeMiB: rssBefore, afterMiB: service.rssMiB() };
    });

    // The database is vacuumed first: the usage flush rewrites key rows every few seconds, and
    // autovacuum is off on the bench machine.
    await sql(databaseUrl, 'VACUUM ANALYZE');
    run.auditLevels = await compareAuditLevels(databaseUrl, mainEnv, verify(cycle(keys.slice(0, WARM_KEYS))));
    results.push(run.auditLevels.rows.basic, run.auditLevels.rows.verbose);

    // A cache a tenth of the key set: most lookups go to PostgreSQL.
    await sql(databaseUrl, 'VACUUM ANALYZE');
    const cacheEntries = String(Math.max(1, Math.floor(KEY_COUNT / 10)));
    await withService(databaseUrl, { ...mainEnv, KEY_CACHE_MAX_ENTRIES: cacheEntries }, async (service) => {
      results.push(await measure(`verify, cold (${KEY_COUNT} keys, cache ${cacheEntries})`, service.base, verify(randomKey), saturated(service)));
      results.push(await measurePaced(`verify, cold, ${RATE} req/s offered`, service.base, verify(randomKey), RATE, DURATION));
    });

    results.push(await measureBcrypt(databaseUrl, keys.slice(0, BCRYPT_KEYS)));
    run.propagation = await revocationPropagation(databaseUrl, database);
    writeReport(run);
  } finally {
    await sql(`${SERVER_URL}/postgres`, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}

/** The bcrypt-per-request design on the same machine, database and load. */
async function measureBcrypt(databaseUrl: string, keys: string[]): Promise<Measurement> {
  await sql(databaseUrl, 'CREATE TABLE bench_bcrypt_keys (start text PRIMARY KEY, hash text NOT NULL)');
  const hashes = await Promise.all(keys.map((key) => hash(key, 10)));
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('INSERT INTO bench_bcrypt_keys SELECT * FROM unnest($1::text[], $2::text[])', [keys.map((key) => key.slice(0, 16)), hashes]);
  await client.end();

  const port = await freePort();
  const server = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'scripts/bench/bcrypt-server.ts'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port) },
  });
  try {
    await new Promise((resolve) => server.stdout!.once('data', resolve));
    let i = 0;
    return await measure('bcrypt.compare (cost 10) per request', `http://127.0.0.1:${port}`, {
      method: 'POST',
      path: '/verify',
      headers: { 'content-type': 'application/json' },
      body: () => JSON.stringify({ key: keys[i++ % keys.length] }),
    }, { duration: DURATION });
  } finally {
    server.kill('SIGTERM');
  }
}

/**
 * Two instances on one database and one Redis: a key cached on B, revoked through A; the time from
 * sending the revocation until B refuses the key.
 */
async function revocationPropagation(databaseUrl: string, database: string): Promise<NonNullable<BenchRun['propagation']>> {
  const env = { REDIS_URL: REDIS_URL ?? 'redis://127.0.0.1:6379', REDIS_KEY_PREFIX: `${database}:propagation:` };
  return withService(databaseUrl, env, (a) =>
    withService(databaseUrl, env, async (b) => {
      const token = await a.adminToken();
      const allowedOnB = async (key: string) => (await fetch(`${b.base}/api/v1/auth/check`, { headers: { 'x-api-key': key } })).status < 300;
      const samples: number[] = [];
      for (let round = 0; round < REVOCATIONS; round += 1) {
        const { id, key } = await a.api<{ id: string; key: string }>('POST', '/api/v1/keys', token, { name: `propagation ${round}` });
        if (!(await allowedOnB(key))) throw new Error('a fresh key was refused on the other instance');
        const started = performance.now();
        await a.api('POST', `/api/v1/keys/${id}/revoke`, token, {});
        while (await allowedOnB(key)) {
          if (performance.now() - started > 60_000) throw new Error('revocation not seen on the other instance within 60 s');
        }
        samples.push(performance.now() - started);
      }
      samples.sort((x, y) => x - y);
      const at = (q: number) => Math.round(samples[Math.min(samples.length - 1, Math.ceil(q * samples.length) - 1)]);
      const result = { revocations: REVOCATIONS, p50: at(0.5), p99: at(0.99), max: Math.round(samples[samples.length - 1]) };
      console.log(`revocation propagation over ${REVOCATIONS}: p50 ${result.p50} ms, p99 ${result.p99} ms, max ${result.max} ms`);
      return result;
    }),
  );
}

async function transactions(databaseUrl: string): Promise<number> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()',
    );
    return Number(rows[0].n);
  } finally {
    await client.end();
  }
}

async function sql(url: string, statement: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
