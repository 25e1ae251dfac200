import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { join } from 'node:path';
import { DataDirLock } from './data-dir-lock';

/**
 * Real PostgreSQL (PGlite, the WASM build) persisted in the data dir and served on a loopback port,
 * so the application talks to it through the same `pg` driver and SQL as to a server.
 * PGlite has one backend: the socket server queues statements and keeps a transaction's statements
 * together, and the pool in front of it is one connection wide.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    private readonly lock: DataDirLock,
    readonly url: string,
  ) {}

  static async start(dataDir: string): Promise<EmbeddedPostgres> {
    const lock = DataDirLock.acquire(dataDir);
    try {
      const db = await PGlite.create(join(dataDir, 'pgdata'));
      const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 4 });
      await server.start();
      return new EmbeddedPostgres(db, server, lock, `postgres://postgres@${server.getServerConn()}/postgres`);
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  async stop(): Promise<void> {
    try {
      await this.server.stop();
      await this.db.close();
    } finally {
      this.lock.release();
    }
  }
}
