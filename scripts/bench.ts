/**
 * `npm run bench`: starts Keyward (production mode, real PostgreSQL, logs at warn) as a child
 * process, seeds keys through the API, drives load with autocannon (50 connections, warm-up, then a
 * fixed duration) and writes BENCHMARKS.md with each scenario's ratio to the baseline route measured
 * in the same run. Options: --keys N (default 2000), --duration S (default 10).
 * Env: BENCH_DATABASE_URL (server, default postgres://postgres@127.0.0.1:5432), BENCH_REDIS_URL.
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { Client } from 'pg';

interface Scenario {
  name: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
}

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const KEY_COUNT = option('keys', 2000);
const DURATION = option('duration', 10);
const CONNECTIONS = 50;
const PORT = 3900 + Math.floor(Math.random() * 90);
const BASE = `http://127.0.0.1:${PORT}`;
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432';
const ADMIN = { email: 'bench@keyward.local', password: randomBytes(12).toString('hex') };
/** One set for every service start of the run: keys seeded by the first must verify on the next. */
const SECRETS = {
  KEY_HASH_PEPPER: randomBytes(32).toString('hex'),
  JWT_SECRET: randomBytes(32).toString('hex'),
  SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
};

async function main(): Promise<void> {
  const database = `keyward_bench_${Date.now()}`;
  const databaseUrl = `${SERVER_URL}/${database}`;
  await sql(`${SERVER_URL}/postgres`, `CREATE DATABASE ${database}`);
  try {
    const results: Scenario[] = [];
    let keys: string[] = [];
    let caller = '';
    const verifyWarm = () => ({
      method: 'POST' as const,
      path: '/api/v1/keys/verify',
      headers: { 'content-type': 'application/json', 'x-api-key': caller },
      bodies: keys.map((key) => JSON.stringify({ key })),
    });
    await withService(databaseUrl, { AUDIT_LEVEL: 'basic' }, async () => {
      const token = (await api('POST', '/api/v1/auth/login', undefined, ADMIN)).accessToken as string;
      caller = (await api('POST', '/api/v1/keys', token, { name: 'bench caller', permissions: ['keys:verify'] })).key as string;
      keys = await seedKeys(token, KEY_COUNT);
      console.log(`seeded ${keys.length} keys; ${DURATION}s per scenario, ${CONNECTIONS} connections`);
      results.push(await run('baseline: GET /health/live', { method: 'GET', path: '/health/live' }));
      results.push(await run('verify, warm cache (AUDIT_LEVEL=basic)', verifyWarm()));
      results.push(
        await run('forward-auth GET /auth/check, warm', {
          method: 'GET',
          path: '/api/v1/auth/check',
          headerSets: keys.map((key) => ({ 'x-api-key': key })),
        }),
      );
    });
    // The same keys and load with every attempt audited: the price of AUDIT_LEVEL=verbose.
    await withService(databaseUrl, { AUDIT_LEVEL: 'verbose' }, async () => {
      results.push(await run('verify, warm cache (AUDIT_LEVEL=verbose)', verifyWarm()));
    });
    report(results);
  } finally {
    await sql(`${SERVER_URL}/postgres`, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}

async function withService(databaseUrl: string, env: Record<string, string>, work: () => Promise<void>): Promise<void> {
  const service = startService(databaseUrl, env);
  try {
    await waitForReady();
    await work();
  } finally {
    service.kill('SIGTERM');
    await new Promise((resolve) => service.once('exit', resolve));
  }
}

function startService(databaseUrl: string, env: Record<string, string>): ChildProcess {
  // BENCH_PROFILE=1 writes a V8 CPU profile of each service run into ./profiles (open in Chrome DevTools).
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=profiles'] : [];
  const child = spawn(process.execPath, [...profile, 'dist/src/main.js'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      PORT: String(PORT),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      REDIS_URL: process.env.BENCH_REDIS_URL ?? '',
      ...SECRETS,
      KEYWARD_BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
      KEYWARD_BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
      BCRYPT_COST: '10',
      RATE_LIMIT_DEFAULT: '0',
      THROTTLE_LIMIT: '100000000',
      ...env,
    },
  });
  child.once('exit', (code) => {
    if (code && code !== 0) console.error(`service exited with ${code}`);
  });
  return child;
}

async function waitForReady(): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${BASE}/health/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error('service did not become ready within 60s');
}

async function api(method: string, path: string, token: string | undefined, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${BASE}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

async function seedKeys(token: string, count: number): Promise<string[]> {
  const keys: string[] = [];
  const worker = async () => {
    while (keys.length < count) {
      keys.push((await api('POST', '/api/v1/keys', token, { name: `bench ${keys.length}`, permissions: ['keys:read'] })).key as string);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return keys.slice(0, count);
}

interface Target {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  bodies?: string[];
  headerSets?: Array<Record<string, string>>;
}

async function run(name: string, target: Target): Promise<Scenario> {
  let i = 0;
  const request = {
    method: target.method,
    path: target.path,
    headers: target.headers,
    setupRequest: (req: autocannon.Request) => {
      i += 1;
      if (target.bodies) req.body = target.bodies[i % target.bodies.length];
      if (target.headerSets) req.headers = { ...target.headers, ...target.headerSets[i % target.headerSets.length] };
      return req;
    },
  };
  const options = { url: BASE, connections: CONNECTIONS, requests: [request] };
  await autocannon({ ...options, duration: 2 }); // warm-up: JIT, caches, connection pool
  const result = await autocannon({ ...options, duration: DURATION });
  const scenario = {
    name,
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
  };
  console.log(`${name}: ${scenario.requestsPerSecond} req/s, p50 ${scenario.p50} ms, p99 ${scenario.p99} ms, non-2xx ${scenario.non2xx}`);
  return scenario;
}

function report(results: Scenario[]): void {
  const baseline = results[0].requestsPerSecond;
  const rate = (name: string) => results.find((r) => r.name.startsWith(name))?.requestsPerSecond ?? 0;
  const auditCost = 1 - rate('verify, warm cache (AUDIT_LEVEL=verbose)') / rate('verify, warm cache (AUDIT_LEVEL=basic)');
  const rows = results.map(
    (r) => `| ${r.name} | ${r.requestsPerSecond} | ${r.p50} | ${r.p99} | ${(r.requestsPerSecond / baseline).toFixed(2)} | ${r.non2xx} |`,
  );
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  writeFileSync(
    'BENCHMARKS.md',
    [
      '# Benchmarks',
      '',
      `Latest run: ${new Date().toISOString()} on ${machine}; PostgreSQL at ${SERVER_URL.replace(/\/\/[^@]*@/, '//')}` +
        `${process.env.BENCH_REDIS_URL ? ' with Redis' : ', no Redis'}.`,
      '',
      `Command: \`npm run bench -- --keys ${KEY_COUNT} --duration ${DURATION}\` (autocannon in the bench process, ${CONNECTIONS} connections,`,
      `2 s warm-up, then ${DURATION} s; the service runs as a child process with NODE_ENV=production and LOG_LEVEL=warn,`,
      'so client and server share the machine\'s cores).',
      '',
      '| scenario | req/s | p50 ms | p99 ms | × baseline | non-2xx |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...rows,
      '',
      'Verify requests cycle through all seeded keys, each authenticated by an API key holding `keys:verify`;',
      'forward-auth requests send the key being checked in `X-API-Key`.',
      '',
      '## Targets',
      '',
      `- Audit cost: AUDIT_LEVEL=verbose (every verification appended to the hash-chained audit log, in batches) costs`,
      `  ${(auditCost * 100).toFixed(1)}% of warm verify throughput versus basic (target at most 15%): **${auditCost <= 0.15 ? 'met' : 'missed'}**.`,
      '',
    ].join('\n'),
  );
  console.log('wrote BENCHMARKS.md');
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
