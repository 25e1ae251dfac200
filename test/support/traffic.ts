import { randomBytes } from 'node:crypto';
import type { ServiceProcess } from './service-process';

/** One request and what came back: a status and body, or a transport error (service gone). */
export interface Exchange {
  op: string;
  /** What the request was about (a key id, a key name), for the assertions. */
  target?: string;
  sentAt: number;
  doneAt: number;
  status?: number;
  body?: Record<string, unknown>;
  error?: string;
}

export interface RequestInit {
  method?: string;
  token?: string;
  body?: unknown;
}

/**
 * Background load for the crash and outage specs: `concurrency` loops each running `step` until
 * `stop()`, every request recorded in `log` with its send and answer times.
 */
export class Traffic {
  readonly log: Exchange[] = [];
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(private service: ServiceProcess) {}

  /** Points later requests at another process (after a restart). */
  retarget(service: ServiceProcess): void {
    this.service = service;
  }

  start(concurrency: number, step: (loop: number) => Promise<void>): void {
    this.running = true;
    this.loops = Array.from({ length: concurrency }, async (_, loop) => {
      while (this.running) {
        await step(loop);
        // Yield, so a loop whose requests fail instantly cannot starve the event loop.
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  async send(op: string, path: string, init: RequestInit = {}, target?: string): Promise<Exchange> {
    const exchange: Exchange = { op, target, sentAt: Date.now(), doneAt: 0 };
    try {
      const { status, body } = await this.service.fetch(path, init);
      Object.assign(exchange, { status, body });
    } catch (error) {
      exchange.error = (error as Error).message;
    }
    exchange.doneAt = Date.now();
    this.log.push(exchange);
    return exchange;
  }

  of(op: string): Exchange[] {
    return this.log.filter((exchange) => exchange.op === op);
  }
}

/** `REDIS_URL` passed through (with a prefix of the spec's own) when the run has Redis, else off. */
export function redisEnvironment(): Record<string, string> {
  const url = process.env.REDIS_URL;
  return url ? { REDIS_URL: url, REDIS_KEY_PREFIX: `keyward-chaos-${randomBytes(4).toString('hex')}:` } : { REDIS_URL: '' };
}

/** Load settings: small by default (CI), larger under `npm run test:chaos`. */
export function chaosSetting(name: 'CHAOS_ROUNDS' | 'CHAOS_CONCURRENCY' | 'CHAOS_LOAD_MS', fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

/** SPEC §11: one JSON error shape. */
export const UNAVAILABLE = {
  statusCode: 503,
  error: 'Service Unavailable',
  code: 'SERVICE_UNAVAILABLE',
  message: expect.any(String),
  requestId: expect.any(String),
};
