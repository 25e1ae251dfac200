import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { median, type AuditComparison, type AuditLevel } from './audit-levels';
import { CONNECTIONS, type Measurement } from './load';

export interface BenchRun {
  keyCount: number;
  duration: number;
  rate: number;
  redis: boolean;
  seedSeconds?: number;
  results: Measurement[];
  malformed?: { requests: number; transactions: number };
  rss?: { keys: number; beforeMiB: number; afterMiB: number };
  propagation?: { revocations: number; p50: number; p99: number; max: number };
  auditLevels?: AuditComparison;
}

const LARGE_RUN_KEYS = 1_000_000;
const REPORT = 'BENCHMARKS.md';
/** Hand-written notes from this heading on survive each run's rewrite of the file. */
const NOTES_HEADING = '## Profiling notes';

/** Prints and writes BENCHMARKS.md: the table, the extra measurements, every target met or missed. */
export function writeReport(run: BenchRun): void {
  const find = (prefix: string) => {
    const found = run.results.find((r) => r.name.startsWith(prefix));
    if (!found) throw new Error(`no measurement named ${prefix}`);
    return found;
  };
  const baseline = find('baseline').requestsPerSecond;
  const ratio = (m: Measurement) => m.requestsPerSecond / baseline;
  const verdict = (met: boolean) => (met ? '**met**' : '**missed**');
  const verifyWarm = find('verify, warm cache');
  const forwardAuth = find('forward-auth GET');
  const verifyAtRate = find('verify, warm cache, ');
  const forwardAtRate = find('forward-auth, warm, ');
  const coldAtRate = find('verify, cold, ');
  const bcrypt = find('bcrypt');
  const audit = run.auditLevels;
  const speedup = verifyWarm.requestsPerSecond / Math.max(1, bcrypt.requestsPerSecond);
  const large = run.keyCount >= LARGE_RUN_KEYS;

  const targets = [
    `| verify warm ≥ 0.8 × baseline | ${ratio(verifyWarm).toFixed(2)} × | ${verdict(ratio(verifyWarm) >= 0.8)} |`,
    `| forward-auth warm ≥ 0.8 × baseline | ${ratio(forwardAuth).toFixed(2)} × | ${verdict(ratio(forwardAuth) >= 0.8)} |`,
    `| verify warm p99 < 5 ms (${run.rate} req/s offered) | ${verifyAtRate.p99} ms | ${verdict(verifyAtRate.p99 < 5)} |`,
    `| forward-auth warm p99 < 5 ms (${run.rate} req/s offered) | ${forwardAtRate.p99} ms | ${verdict(forwardAtRate.p99 < 5)} |`,
    `| verify cold p99 < 10 ms with 1,000,000 keys (${run.rate} req/s offered) | ${coldAtRate.p99} ms with ${run.keyCount} keys | ` +
      (large ? verdict(coldAtRate.p99 < 10) : `not run at 1,000,000 keys (\`--keys 1000000\`); ${coldAtRate.p99 < 10 ? 'met' : 'missed'} at ${run.keyCount}`) + ' |',
    `| ≥ 100 × the bcrypt-per-request design | ${speedup.toFixed(0)} × | ${verdict(speedup >= 100)} |`,
    run.propagation
      ? `| revocation seen by another instance, p99 < 1 s | p99 ${run.propagation.p99} ms | ${verdict(run.propagation.p99 < 1000)} |`
      : '| revocation seen by another instance, p99 < 1 s | not measured | **missed** |',
    run.rss
      ? `| RSS < 250 MB with ${run.rss.keys} keys cached | ${run.rss.afterMiB} MiB | ${verdict(run.rss.afterMiB < 250 && run.rss.keys >= 100_000)} |`
      : '| RSS < 250 MB with 100k keys cached | not measured | **missed** |',
    audit
      ? `| AUDIT_LEVEL=verbose costs ≤ 15% of warm verify throughput (vs basic, median slices of ${audit.rounds.length} rounds) | ${percent(audit.cost)} | ${verdict(audit.cost <= 0.15)} |`
      : '| AUDIT_LEVEL=verbose costs ≤ 15% of warm verify throughput | not measured | **missed** |',
  ];

  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const lines = [
    '# Benchmarks',
    '',
    `Latest run: ${new Date().toISOString()} on ${machine}; PostgreSQL on the same machine${run.redis ? ', with Redis' : ', no Redis'}.`,
    '',
    `Command: \`npm run bench -- --keys ${run.keyCount} --duration ${run.duration} --rate ${run.rate}\``,
    '',
    `The service runs as a child process (NODE_ENV=production, LOG_LEVEL=warn); autocannon drives it from the bench`,
    `process with ${CONNECTIONS} connections, 2 s of warm-up, then ${run.duration} s. Client, service and PostgreSQL share the`,
    `machine's cores, so absolute numbers are lower than on a dedicated host; the ratios are what carry over. Keys are`,
    `seeded straight into PostgreSQL (${run.keyCount} in ${run.seedSeconds?.toFixed(1) ?? '?'} s).`,
    '',
    '| scenario | req/s | p50 ms | p99 ms | × baseline | non-2xx | service CPU µs/req |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...run.results.map(
      (r) => `| ${r.name} | ${r.requestsPerSecond} | ${r.p50} | ${r.p99} | ${ratio(r).toFixed(2)} | ${r.non2xx} | ${r.cpuMicros ?? ''} |`,
    ),
    '',
    '- Saturated rows send as fast as the service answers; with 50 connections in a closed loop the mean latency',
    '  is 50 ÷ throughput (Little\'s law), so latency targets are read from the "req/s offered" rows: 50 keep-alive',
    '  connections, each sending on a fixed schedule, latency counted from when each request was due.',
    '- Service CPU is the service process\'s own user + system time per request (from /proc), free of the load',
    '  generator\'s share of the cores: the cost of each route on the server.',
    '- Verify requests authenticate with an API key holding `keys:verify` and check another key; the warm set is',
    '  2,000 keys. Forward-auth sends the key being checked in `X-API-Key`.',
    '- The malformed flood answers 200 `{ valid: false, code: "MALFORMED" }`; the failed-verify source throttle is',
    '  raised for the bench, which stands in for many gateways from one address.',
    run.malformed
      ? `- Malformed flood: ${run.malformed.transactions} database transactions (pg_stat_database, jobs off) during ` +
        `${run.malformed.requests} malformed requests: the rejection happens before any I/O.`
      : '',
    run.rss ? `- RSS: ${run.rss.beforeMiB} MiB before, ${run.rss.afterMiB} MiB after caching ${run.rss.keys} distinct keys.` : '',
    run.propagation
      ? `- Revocation propagation, two instances on one PostgreSQL and one Redis, ${run.propagation.revocations} revocations: ` +
        `p50 ${run.propagation.p50} ms, p99 ${run.propagation.p99} ms, max ${run.propagation.max} ms (from sending the revocation ` +
        'to the other instance refusing the key).'
      : '',
    audit
      ? `- AUDIT_LEVEL cost: ${audit.rounds.length} rounds, each a fresh basic and a fresh verbose instance side by side, taking turns ` +
        `in short slices (A B B A …); the cost is 1 − verbose ÷ basic from each level's median slice over all rounds. Each ` +
        `round's own cost, in the order run, shows the noise: ${audit.rounds.map((r) => percent(r.cost)).join(', ')}. Whole-machine CPU ` +
        `per request (service, PostgreSQL and client), median slice: basic ${machineMicros(audit, 'basic')} µs, verbose ` +
        `${machineMicros(audit, 'verbose')} µs.`
      : '',
    '- The bcrypt row is a bare node:http server doing what the seed design did: look the key up by prefix, then',
    '  `bcrypt.compare` at cost 10.',
    '',
    '## Targets',
    '',
    '| target | measured | |',
    '| --- | --- | --- |',
    ...targets,
    '',
  ].filter((line, i, all) => line !== '' || all[i - 1] !== '');
  const previous = existsSync(REPORT) ? readFileSync(REPORT, 'utf8') : '';
  const notes = previous.includes(NOTES_HEADING) ? previous.slice(previous.indexOf(NOTES_HEADING)) : '';
  writeFileSync(REPORT, [lines.join('\n'), notes].filter(Boolean).join('\n'));
  console.log(['', ...targets].join('\n'));
  console.log('wrote BENCHMARKS.md');
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

function machineMicros(audit: AuditComparison, level: AuditLevel): number {
  return Math.round(median(audit.rounds.flatMap((r) => r.slices[level].map((m) => m.machineMicros))));
}
