import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

/**
 * Makes a background batch's write happen once although it may be sent twice. When the connection
 * drops during COMMIT (a database crash, a cut network), the writer cannot tell whether its batch
 * landed, so it retries the batch under the same id; the id is recorded in the batch's own
 * transaction, and a retry that finds it there writes nothing.
 */
@Injectable()
export class AppliedBatches {
  /**
   * How long ids are kept: a retry has to come within this. Batches are retried every flush
   * interval, so only an instance cut off from the database this long while others reach it
   * could still double-apply one.
   */
  static readonly RETENTION_MS = 86_400_000;

  constructor(private readonly dataSource: DataSource) {}

  /** Records `id` in the caller's transaction; false when an earlier attempt already committed it. */
  async claim(manager: EntityManager, id: string): Promise<boolean> {
    const claimed = (await manager.query(`INSERT INTO applied_batches (id) VALUES ($1) ON CONFLICT (id) DO NOTHING RETURNING id`, [id])) as unknown[];
    return claimed.length === 1;
  }

  /** Retention: forgets ids older than RETENTION_MS (by the database's clock, which stamped them). */
  async deleteExpired(): Promise<number> {
    const [, removed] = (await this.dataSource.query(`DELETE FROM applied_batches WHERE applied_at < now() - make_interval(secs => $1)`, [
      AppliedBatches.RETENTION_MS / 1000,
    ])) as [unknown, number];
    return removed;
  }
}
