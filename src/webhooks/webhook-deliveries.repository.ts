import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import type { SealedSecret } from '../common/crypto/secret-box';
import type { CursorPosition } from '../common/pagination/cursor';
import { WebhookDeliveryEntity, type DeliveryStatus } from './entities/webhook-delivery.entity';
import type { WebhookPayload } from './webhook-events';

export interface NewEvent {
  id: string;
  type: string;
  /** The serialised WebhookPayload. */
  payload: string;
  /** From `subscriptionsMatching(type)`. */
  subscriptions: string[];
  time: Date;
}

/** A delivery taken for sending, with what is needed to send it. */
export interface ClaimedDelivery {
  id: string;
  webhookId: string;
  eventType: string;
  payload: WebhookPayload;
  attempts: number;
  url: string;
  /** False when the endpoint was disabled or deleted after the event was queued. */
  active: boolean;
  secret: SealedSecret;
}

/** The outcome of one attempt. */
export interface AttemptResult {
  status: DeliveryStatus;
  time: Date;
  nextAttemptAt: Date;
  statusCode: number | null;
  error: string | null;
}

export interface DeliveryLogFilter {
  webhookId: string;
  status?: DeliveryStatus;
  after?: CursorPosition;
  limit: number;
}

interface ClaimedRow {
  id: string;
  webhook_id: string;
  event_type: string;
  payload: WebhookPayload;
  attempts: number;
  url: string;
  active: boolean;
  secret_key_id: string;
  secret_iv: Buffer;
  secret_ciphertext: Buffer;
  secret_tag: Buffer;
}

/** The delivery outbox: written inside the changes' transactions, drained by the dispatcher. */
@Injectable()
export class WebhookDeliveriesRepository {
  constructor(@InjectRepository(WebhookDeliveryEntity) private readonly deliveries: Repository<WebhookDeliveryEntity>) {}

  /** One pending delivery per enabled, live endpoint subscribed to the event, in one statement. */
  async enqueue(manager: EntityManager, event: NewEvent): Promise<void> {
    await manager.query(
      `INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, payload, status, attempts, next_attempt_at, created_at)
       SELECT id, $1, $2, $3::jsonb, 'pending', 0, $4, $4
         FROM webhooks
        WHERE enabled AND deleted_at IS NULL AND event_types && $5::text[]`,
      [event.id, event.type, event.payload, event.time.toISOString(), event.subscriptions],
    );
  }

  /**
   * Takes up to `limit` due deliveries by moving their due time to `leaseUntil`: another instance
   * (or a later tick) skips them while they are being sent, and takes them again should this one
   * die before recording the outcome. SKIP LOCKED lets concurrent claimers pass each other.
   */
  async claimDue(now: Date, leaseUntil: Date, limit: number): Promise<ClaimedDelivery[]> {
    const [rows] = (await this.deliveries.query(
      `WITH due AS (
         SELECT id FROM webhook_deliveries
          WHERE status = 'pending' AND next_attempt_at <= $1
          ORDER BY next_attempt_at
          LIMIT $3
            FOR UPDATE SKIP LOCKED)
       UPDATE webhook_deliveries d
          SET next_attempt_at = $2
         FROM due, webhooks w
        WHERE d.id = due.id AND w.id = d.webhook_id
       RETURNING d.id, d.webhook_id, d.event_type, d.payload, d.attempts, w.url, (w.enabled AND w.deleted_at IS NULL) AS active,
                 w.secret_key_id, w.secret_iv, w.secret_ciphertext, w.secret_tag`,
      [now.toISOString(), leaseUntil.toISOString(), limit],
    )) as [ClaimedRow[], number];
    return rows.map((row) => ({
      id: row.id,
      webhookId: row.webhook_id,
      eventType: row.event_type,
      payload: row.payload,
      attempts: row.attempts,
      url: row.url,
      active: row.active,
      secret: { keyId: row.secret_key_id, iv: row.secret_iv, ciphertext: row.secret_ciphertext, authTag: row.secret_tag },
    }));
  }

  /**
   * Records an attempt on a delivery claimed with `attemptsBefore` attempts; a no-op when someone
   * else recorded one meanwhile (this instance outlived its claim), so an outcome is never counted twice.
   */
  async recordAttempt(id: string, attemptsBefore: number, result: AttemptResult): Promise<void> {
    await this.deliveries.query(
      `UPDATE webhook_deliveries
          SET status = $3, attempts = $2 + 1, last_attempt_at = $4, next_attempt_at = $5, last_status_code = $6, last_error = $7,
              delivered_at = $8
        WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
      [
        id,
        attemptsBefore,
        result.status,
        result.time.toISOString(),
        result.nextAttemptAt.toISOString(),
        result.statusCode,
        result.error,
        result.status === 'delivered' ? result.time.toISOString() : null,
      ],
    );
  }

  /** Gives up on a delivery whose endpoint was disabled or deleted; nothing is sent. */
  async failUnsent(id: string, reason: string): Promise<void> {
    await this.deliveries.query(`UPDATE webhook_deliveries SET status = 'failed', last_error = $2 WHERE id = $1 AND status = 'pending'`, [id, reason]);
  }

  /** Newest first, one page of `limit` plus one row that only tells whether another page exists. */
  listLog(filter: DeliveryLogFilter): Promise<WebhookDeliveryEntity[]> {
    const query = this.deliveries
      .createQueryBuilder('d')
      .where('d.webhook_id = :webhookId', { webhookId: filter.webhookId })
      .orderBy('d.created_at', 'DESC')
      .addOrderBy('d.id', 'DESC')
      .limit(filter.limit + 1);
    if (filter.status) query.andWhere('d.status = :status', { status: filter.status });
    if (filter.after) {
      query.andWhere('(d.created_at, d.id) < (CAST(:afterTime AS timestamptz), CAST(:afterId AS uuid))', {
        afterTime: filter.after.sort,
        afterId: filter.after.id,
      });
    }
    return query.getMany();
  }
}
