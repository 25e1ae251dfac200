import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { scripts } from '../../package.json';
import { freePort } from '../../test/support/free-port';

/** The Node flags of the production command (`npm run start:prod`): the bench measures what is deployed. */
const NODE_FLAGS = scripts['start:prod'].split(' ').filter((arg) => arg.startsWith('--'));

export const ADMIN = { email: 'bench@keyward.local', password: randomBytes(12).toString('hex') };

/** One set for every service start of the run: keys seeded once must verify on every instance. */
export const SECRETS = {
  KEY_HASH_PEPPER: randomBytes(32).toString('hex'),
  JWT_SECRET: randomBytes(32).toString('hex'),
  SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
};

/** A Keyward instance running as a child process in production mode, as it would be deployed. */
export class BenchService {
  private constructor(
    readonly base: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(databaseUrl: string, env: Record<string, string> = {}): Promise<BenchService> {
    const port = await freePort();
    // BENCH_PROFILE=1 writes a V8 CPU profile of each service run into ./profiles (open in Chrome DevTools).
    const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=profiles'] : [];
    const child = spawn(process.execPath, [...NODE_FLAGS, ...profile, 'dist/src/main.js'], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: databaseUrl,
        REDIS_URL: '',
        ...SECRETS,
        KEYWARD_BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
        KEYWARD_BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
        BCRYPT_COST: '10',
        RATE_LIMIT_DEFAULT: '0',
        THROTTLE_LIMIT: '100000000',
        // One bench process stands in for many gateways: its failed verifications must not block it.
        FAILED_VERIFY_LIMIT: '1000000',
        // No timers touching the database mid-scenario (the malformed flood counts transactions).
        JOBS_ENABLED: 'false',
        ...env,
      },
    });
    const service = new BenchService(`http://127.0.0.1:${port}`, child);
    await service.waitForReady();
    return service;
  }

  /** Resident set size of the service process, in MiB. */
  rssMiB(): number {
    const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return Math.round(kib / 1024);
  }

  /** CPU time (user + system) the service process has used so far, in seconds. */
  cpuSeconds(): number {
    // /proc/<pid>/stat: fields 14 and 15 are utime and stime in clock ticks (100 per second on Linux).
    const fields = readFileSync(`/proc/${this.child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  }

  async api<T = Record<string, unknown>>(method: string, path: string, token?: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path} -> ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  async adminToken(): Promise<string> {
    return (await this.api<{ accessToken: string }>('POST', '/api/v1/auth/login', undefined, ADMIN)).accessToken;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }

  private async waitForReady(): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`service exited with ${this.child.exitCode} during start-up`);
      try {
        if ((await fetch(`${this.base}/health/ready`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await this.stop();
    throw new Error('service did not become ready within 60s');
  }
}

export async function withService<T>(databaseUrl: string, env: Record<string, string>, work: (service: BenchService) => Promise<T>): Promise<T> {
  const service = await BenchService.start(databaseUrl, env);
  try {
    return await work(service);
  } finally {
    await service.stop();
  }
}
