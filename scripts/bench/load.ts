import autocannon from 'autocannon';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

export const CONNECTIONS = 50;
const WARM_UP_SECONDS = 2;

export interface Measurement {
  name: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  total: number;
  /** The service's own CPU time (user + system) per measured request, in µs, when known. */
  cpuMicros?: number;
}

export interface LoadTarget {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  /** Per request: the body and/or extra headers of the i-th request. */
  body?: (i: number) => string;
  headersFor?: (i: number) => Record<string, string>;
}

export interface LoadOptions {
  duration?: number;
  /** Send exactly this many requests instead of running for a duration. */
  amount?: number;
  warmUp?: boolean;
  /** Reads the service process's CPU seconds, for the per-request CPU column. */
  cpuSeconds?: () => number;
}

/** Drives `target` from this process with autocannon: a warm-up, then the measured run. */
export async function measure(name: string, base: string, target: LoadTarget, options: LoadOptions): Promise<Measurement> {
  let i = 0;
  const request = {
    method: target.method,
    path: target.path,
    headers: target.headers,
    setupRequest: (req: autocannon.Request) => {
      i += 1;
      if (target.body) req.body = target.body(i);
      if (target.headersFor) req.headers = { ...target.headers, ...target.headersFor(i) };
      return req;
    },
  };
  const common = { url: base, connections: CONNECTIONS, requests: [request] };
  if (options.warmUp !== false) await autocannon({ ...common, duration: WARM_UP_SECONDS });
  const cpuBefore = options.cpuSeconds?.();
  const result = await autocannon(options.amount ? { ...common, amount: options.amount } : { ...common, duration: options.duration });
  const cpuUsed = cpuBefore === undefined ? undefined : options.cpuSeconds!() - cpuBefore;
  const measurement = {
    name,
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    total: result.requests.total,
    cpuMicros: cpuUsed === undefined ? undefined : Math.round((cpuUsed * 1e6) / Math.max(1, result.requests.total)),
  };
  console.log(
    `${name}: ${measurement.requestsPerSecond} req/s, p50 ${measurement.p50} ms, p99 ${measurement.p99} ms, non-2xx ${measurement.non2xx}` +
      (measurement.cpuMicros === undefined ? '' : `, service CPU ${measurement.cpuMicros} µs/request`),
  );
  return measurement;
}

/**
 * Latency at a steady offered rate: CONNECTIONS keep-alive lanes, each sending a request every
 * CONNECTIONS / rate seconds, their start times spread evenly. (autocannon's overallRate sends each
 * second's quota as a burst, so its latencies measure the burst's own queue.) Latency counts from
 * when a request was due, so a lane that falls behind is charged for it (no coordinated omission).
 */
export async function measurePaced(name: string, base: string, target: LoadTarget, rate: number, duration: number): Promise<Measurement> {
  const { hostname, port } = new URL(base);
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const intervalMs = (CONNECTIONS / rate) * 1000;
  let i = 0;
  const send = () =>
    new Promise<number>((resolve) => {
      i += 1;
      const body = target.body?.(i);
      const headers = { ...target.headers, ...target.headersFor?.(i), ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }) };
      const req = request({ host: hostname, port, path: target.path, method: target.method, headers, agent }, (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
      });
      req.once('error', () => resolve(0));
      req.end(body);
    });
  const run = async (seconds: number) => {
    const latencies: number[] = [];
    let non2xx = 0;
    const start = performance.now();
    const end = start + seconds * 1000;
    const lane = async (offset: number) => {
      for (let due = start + offset; due < end; due += intervalMs) {
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        const status = await send();
        latencies.push(performance.now() - due);
        if (status < 200 || status >= 300) non2xx += 1;
      }
    };
    await Promise.all(Array.from({ length: CONNECTIONS }, (_, n) => lane((n * intervalMs) / CONNECTIONS)));
    return { latencies: latencies.sort((a, b) => a - b), non2xx, seconds: (performance.now() - start) / 1000 };
  };
  await run(WARM_UP_SECONDS);
  const { latencies, non2xx, seconds } = await run(duration);
  agent.destroy();
  const at = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] * 10) / 10;
  const measurement = { name, requestsPerSecond: Math.round(latencies.length / seconds), p50: at(0.5), p99: at(0.99), non2xx, total: latencies.length };
  console.log(`${name}: ${measurement.requestsPerSecond} req/s, p50 ${measurement.p50} ms, p99 ${measurement.p99} ms, non-2xx ${measurement.non2xx}`);
  return measurement;
}
