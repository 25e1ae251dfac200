import { readFileSync } from 'node:fs';
import { measure, type LoadTarget, type Measurement } from './load';
import { withService, type BenchService } from './service';

const ROUNDS = 6;
/** Slices per level and round (even: each level goes first as often), seconds each. */
const SLICES = 4;
const SLICE_SECONDS = 3;

export type AuditLevel = 'basic' | 'verbose';

/** One slice, with the whole machine's CPU per request (service, PostgreSQL and client). */
export type AuditSlice = Measurement & { machineMicros: number };

export interface AuditRound {
  slices: Record<AuditLevel, AuditSlice[]>;
  /** 1 − verbose ÷ basic within the round (median slices): the spread between rounds. */
  cost: number;
}

export interface AuditComparison {
  rounds: AuditRound[];
  /** 1 − verbose ÷ basic over every round's slices (median slices). */
  cost: number;
  /** Every slice of a level as one table row (median figures). */
  rows: Record<AuditLevel, Measurement>;
}

/**
 * What appending every verification to the audit chain costs warm verify: AUDIT_LEVEL=basic
 * against verbose. Two kinds of noise on the bench machine are larger than the effect. The shared
 * cores drift within seconds, so the two levels run side by side and take turns in short slices.
 * And two processes of the same build can differ by 10–15% for their whole life (an A/A run of two
 * basic instances measured +11% in one run and −16% in the next), so each round starts a fresh pair,
 * and the cost compares the median slices of each level over all rounds.
 */
export async function compareAuditLevels(databaseUrl: string, env: Record<string, string>, target: LoadTarget): Promise<AuditComparison> {
  const rounds: AuditRound[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    // Alternate which instance starts first, in case start order matters (ports, pool warm-up).
    const [first, second]: AuditLevel[] = round % 2 === 0 ? ['basic', 'verbose'] : ['verbose', 'basic'];
    const slices = await withService(databaseUrl, { ...env, AUDIT_LEVEL: first }, (a) =>
      withService(databaseUrl, { ...env, AUDIT_LEVEL: second }, (b) => takeTurns({ [first]: a, [second]: b } as Record<AuditLevel, BenchService>, target)),
    );
    const cost = costOf(slices.basic, slices.verbose);
    console.log(`audit levels, round ${round + 1}: verbose costs ${(cost * 100).toFixed(1)}%`);
    rounds.push({ slices, cost });
  }
  const all = (level: AuditLevel) => rounds.flatMap((r) => r.slices[level]);
  const name = (level: AuditLevel) => `verify, warm cache, AUDIT_LEVEL=${level}, ${ROUNDS} rounds × ${SLICES} interleaved ${SLICE_SECONDS} s slices`;
  return {
    rounds,
    cost: costOf(all('basic'), all('verbose')),
    rows: { basic: combine(name('basic'), all('basic')), verbose: combine(name('verbose'), all('verbose')) },
  };
}

function costOf(basic: Measurement[], verbose: Measurement[]): number {
  const throughput = (slices: Measurement[]) => median(slices.map((m) => m.requestsPerSecond));
  return 1 - throughput(verbose) / throughput(basic);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (sorted[(sorted.length - 1) >> 1] + sorted[sorted.length >> 1]) / 2;
}

/** A warm-up each, then SLICES slices each, alternating which goes first (A B B A …). */
async function takeTurns(services: Record<AuditLevel, BenchService>, target: LoadTarget): Promise<Record<AuditLevel, AuditSlice[]>> {
  const levels: AuditLevel[] = ['basic', 'verbose'];
  const slices: Record<AuditLevel, AuditSlice[]> = { basic: [], verbose: [] };
  for (const level of levels) await measure(`warm-up ${level}`, services[level].base, target, { duration: SLICE_SECONDS });
  for (let slice = 0; slice < SLICES; slice += 1) {
    for (const level of slice % 2 === 0 ? levels : [...levels].reverse()) {
      const service = services[level];
      const machineBefore = machineCpuSeconds();
      const measured = await measure(`${level}, slice ${slice + 1}`, service.base, target, {
        duration: SLICE_SECONDS,
        warmUp: false,
        cpuSeconds: () => service.cpuSeconds(),
      });
      const machineMicros = Math.round(((machineCpuSeconds() - machineBefore) * 1e6) / Math.max(1, measured.total));
      slices[level].push({ ...measured, machineMicros });
    }
  }
  return slices;
}

/** CPU time the whole machine has spent busy (every state but idle and iowait), in seconds. */
function machineCpuSeconds(): number {
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [, , , idle, iowait] = ticks;
  return (ticks.reduce((sum, t) => sum + t, 0) - idle - iowait) / 100;
}

/** Slices as one row: the median slice's figures, since a hiccup of the shared machine can halve one. */
function combine(name: string, slices: Measurement[]): Measurement {
  const of = (pick: (m: Measurement) => number) => median(slices.map(pick));
  return {
    name,
    requestsPerSecond: Math.round(of((m) => m.requestsPerSecond)),
    p50: of((m) => m.p50),
    p99: of((m) => m.p99),
    non2xx: slices.reduce((sum, m) => sum + m.non2xx, 0),
    total: slices.reduce((sum, m) => sum + m.total, 0),
    cpuMicros: Math.round(of((m) => m.cpuMicros ?? 0)),
  };
}
