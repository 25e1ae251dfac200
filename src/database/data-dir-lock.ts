import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const LOCK_FILE = 'keyward.pid';
/** Locks held by this process: a second app instance in the same process is refused too. */
const heldHere = new Set<string>();

/**
 * An exclusive claim on the embedded data dir. PGlite is single-process (and its advisory locks
 * exclude nobody), so a second Keyward on the same dir is refused instead of corrupting it.
 * A lock left behind by a crashed process is taken over once its pid is gone.
 */
export class DataDirLock {
  private constructor(private readonly file: string) {}

  static acquire(dataDir: string): DataDirLock {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const file = join(dataDir, LOCK_FILE);
    if (heldHere.has(file)) throw inUse(dataDir, process.pid);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx', 0o600);
        writeSync(fd, String(process.pid));
        closeSync(fd);
        heldHere.add(file);
        return new DataDirLock(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = Number(readFileSync(file, 'utf8').trim());
        // Our own pid in the file is a previous incarnation's (e.g. PID 1 in a restarted container).
        if (holder !== process.pid && isAlive(holder)) throw inUse(dataDir, holder);
        rmSync(file, { force: true });
      }
    }
    throw new Error(`Could not lock data dir ${dataDir}; remove ${file} if no Keyward process is running`);
  }

  release(): void {
    heldHere.delete(this.file);
    rmSync(this.file, { force: true });
  }
}

function inUse(dataDir: string, holder: number): Error {
  return new Error(
    `Data dir ${dataDir} is in use by Keyward process ${holder}. The embedded database is single-instance: ` +
      `stop that process, or set DATABASE_URL to run several instances on PostgreSQL.`,
  );
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
