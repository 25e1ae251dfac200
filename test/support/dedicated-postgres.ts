import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from './free-port';

const run = promisify(execFile);

/**
 * A PostgreSQL cluster of a test's own (`initdb` + `pg_ctl` in a temp directory, on a free port), for
 * specs that crash, stop or restart the database: the machine's shared server is never touched.
 * Durability settings are PostgreSQL's defaults (fsync, synchronous commit, full-page writes on).
 * As root the server runs as the `postgres` OS user, since PostgreSQL refuses to run as root.
 * Always `destroy()` it (afterAll); a process exit stops it too.
 */
export class DedicatedPostgres {
  private running = false;
  private readonly exitHook = () => this.stopSync();

  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    private currentPort: number,
  ) {
    process.once('exit', this.exitHook);
  }

  static async start(): Promise<DedicatedPostgres> {
    const bin = postgresBinDir();
    const dir = mkdtempSync(join(tmpdir(), 'keyward-pg-'));
    const cluster = new DedicatedPostgres(bin, dir, await freePort());
    try {
      const owner = serverOwner();
      if (owner) chownSync(dir, owner.uid, owner.gid);
      // --no-sync only skips flushing initdb's own files to disk (a crash of the machine, not of a
      // process, is out of scope); the running server fsyncs as in production.
      await cluster.pg('initdb', ['-D', cluster.dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
      for (let attempt = 1; ; attempt++) {
        try {
          await cluster.startServer();
          break;
        } catch (error) {
          // Someone took the free port in the meantime: another one.
          if (attempt === 3 || !/could not bind|already in use/i.test((error as Error).message)) throw error;
          cluster.currentPort = await freePort();
        }
      }
      return cluster;
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
  }

  /** Stays the same across `stop()` and `restart()`, so clients can reconnect. */
  get port(): number {
    return this.currentPort;
  }

  /** The `postgres` database; specs own the whole cluster. */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** `immediate` is a crash as far as the data is concerned: no checkpoint, WAL recovery on the next start. */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.pg('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
    this.running = false;
  }

  /** Starts the stopped cluster again on the same port. */
  async restart(): Promise<void> {
    await this.startServer();
  }

  /** Runs SQL on the cluster over a short-lived connection of its own. */
  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: this.url });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  /** Stops the server (whatever state it is in) and removes its directory. */
  async destroy(): Promise<void> {
    process.removeListener('exit', this.exitHook);
    if (this.running || existsSync(join(this.dataDir, 'postmaster.pid'))) {
      await this.pg('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      this.running = false;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The server log, for failure messages. */
  log(): string {
    try {
      return readFileSync(join(this.dir, 'server.log'), 'utf8');
    } catch {
      return '';
    }
  }

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  private async startServer(): Promise<void> {
    const options = [
      `-p ${this.port}`,
      `-k ${this.dir}`,
      '-c listen_addresses=127.0.0.1',
      '-c shared_buffers=16MB',
      '-c max_connections=60',
      '-c fsync=on',
      '-c synchronous_commit=on',
      '-c full_page_writes=on',
    ].join(' ');
    try {
      await this.pg('pg_ctl', ['-D', this.dataDir, '-l', join(this.dir, 'server.log'), '-o', options, '-w', '-t', '60', 'start']);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- server log ---\n${this.log().slice(-4000)}`);
    }
    this.running = true;
  }

  private async pg(tool: string, args: string[]): Promise<void> {
    const [command, ...rest] = asServerOwner(join(this.bin, tool), args);
    await run(command, rest, { cwd: this.dir, timeout: 120_000 });
  }

  private stopSync(): void {
    if (!this.running) return;
    try {
      const [command, ...rest] = asServerOwner(join(this.bin, 'pg_ctl'), ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']);
      execFileSync(command, rest, { stdio: 'ignore', timeout: 30_000 });
      rmSync(this.dir, { recursive: true, force: true });
    } catch {
      // best effort on the way out
    }
  }
}

/** `PG_BIN_DIR`, else the newest /usr/lib/postgresql/<version>/bin, else `pg_config --bindir`. */
function postgresBinDir(): string {
  if (process.env.PG_BIN_DIR) return process.env.PG_BIN_DIR;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((name) => existsSync(join(root, name, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return join(root, versions[0], 'bin');
  }
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('PostgreSQL server binaries (initdb, pg_ctl) not found: install PostgreSQL or set PG_BIN_DIR');
  }
}

/** PostgreSQL will not run as root: then the server runs as the `postgres` OS user. */
function serverOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

function asServerOwner(command: string, args: string[]): string[] {
  return process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', command, ...args] : [command, ...args];
}
