import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TEST_SECRETS } from './test-app';
import { freePort } from './free-port';

const ROOT = join(__dirname, '..', '..');
const LOG_TAIL = 20_000;

/**
 * The real service as a child process (production mode, as deployed), for specs that kill it with
 * SIGKILL or watch it survive a database outage. Runs `dist/src/main.js` when a build is at least as
 * new as every source file (CI builds first); otherwise a transpiled copy of the current sources
 * (see `ServiceBuild`), so a fresh clone's `npm ci && npm test` works too.
 */
export class ServiceProcess {
  private output = '';
  /** Should the test process die first, the service goes with it. */
  private readonly exitHook = () => this.child.kill('SIGKILL');

  private constructor(
    readonly base: string,
    private readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-LOG_TAIL));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    process.once('exit', this.exitHook);
    child.once('exit', () => process.removeListener('exit', this.exitHook));
  }

  static async start(entry: string, env: Record<string, string>): Promise<ServiceProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, [entry], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        HOST: '127.0.0.1',
        PORT: String(port),
        ...TEST_SECRETS,
        KEYWARD_BOOTSTRAP_ADMIN_EMAIL: ADMIN_EMAIL,
        KEYWARD_BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
        BCRYPT_COST: '10',
        // One test client stands in for many callers: no per-key default limit, no per-IP throttling.
        RATE_LIMIT_DEFAULT: '0',
        THROTTLE_LIMIT: '100000000',
        THROTTLE_LOGIN_LIMIT: '100000',
        FAILED_VERIFY_LIMIT: '1000000',
        ...env,
      },
    });
    const service = new ServiceProcess(`http://127.0.0.1:${port}`, child);
    await service.waitUntilReady(90_000);
    return service;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines the service wrote (warn and above), for failure messages. */
  logs(): string {
    return this.output;
  }

  /** A hard crash: no shutdown hooks, no final flush. */
  async kill9(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** Graceful stop (shutdown hooks flush usage and audit). */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  async fetch(path: string, init: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${this.base}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: {
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...init.headers,
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.alive) throw new Error(`service exited (${this.child.exitCode ?? this.child.signalCode}) during start-up:\n${this.output}`);
      try {
        if ((await fetch(`${this.base}/health/ready`, { signal: AbortSignal.timeout(5000) })).ok) return;
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
    await this.kill9();
    throw new Error(`service not ready within ${timeoutMs} ms:\n${this.output}`);
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill(signal);
    await exited;
  }
}

/**
 * What `ServiceProcess` runs: the build in dist/ when it is current, else the current sources
 * transpiled (no type-check; `npm run lint` does that) into node_modules/.cache/keyward-service/,
 * one directory per content hash of the sources, shared by the spec files of a run and later runs.
 */
export class ServiceBuild {
  private constructor(readonly entry: string) {}

  static async prepare(): Promise<ServiceBuild> {
    const built = join(ROOT, 'dist', 'src', 'main.js');
    const files = SOURCE_DIRS.flatMap((dir) => sourceFiles(join(ROOT, dir)));
    if (modifiedAt(built) >= Math.max(...files.map(modifiedAt))) return new ServiceBuild(built);

    const hash = createHash('sha256');
    for (const file of files) hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
    hash.update(readFileSync(join(ROOT, 'tsconfig.json')));
    const target = join(CACHE_DIR, hash.digest('hex').slice(0, 16));
    const entry = join(target, 'src', 'main.js');
    if (existsSync(join(target, COMPLETE))) {
      utimesSync(target, new Date(), new Date());
      return new ServiceBuild(entry);
    }

    mkdirSync(CACHE_DIR, { recursive: true });
    pruneCache();
    const scratch = mkdtempSync(join(CACHE_DIR, 'tmp-'));
    try {
      await transpile(files, scratch);
      writeFileSync(join(scratch, COMPLETE), '');
      renameSync(scratch, target);
    } catch (error) {
      rmSync(scratch, { recursive: true, force: true });
      // Another run may have finished the same build first.
      if (!existsSync(join(target, COMPLETE))) throw error;
    }
    return new ServiceBuild(entry);
  }
}

const CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'keyward-service');
const COMPLETE = '.complete';
const CACHE_MAX_AGE_MS = 24 * 3600_000;

/** Builds of other sources, unused for a day, go. */
function pruneCache(): void {
  for (const name of readdirSync(CACHE_DIR)) {
    const dir = join(CACHE_DIR, name);
    if (Date.now() - modifiedAt(dir) > CACHE_MAX_AGE_MS) rmSync(dir, { recursive: true, force: true });
  }
}

const SOURCE_DIRS = ['src', 'migrations'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

function modifiedAt(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

async function transpile(files: string[], out: string): Promise<void> {
  const { default: ts } = await import('typescript');
  const { options } = ts.convertCompilerOptionsFromJson(
    (ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile).config as { compilerOptions: object }).compilerOptions,
    ROOT,
  );
  const compilerOptions = { ...options, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, sourceMap: false };
  for (const file of files) {
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions, fileName: file });
    const target = join(out, relative(ROOT, file).replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
