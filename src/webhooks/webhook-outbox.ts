import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { EVENT_TYPE_MAX_LENGTH, EVENT_TYPE_PATTERN, subscriptionsMatching, type WebhookEvent, type WebhookPayload } from './webhook-events';

const MAX_PAYLOAD_BYTES = 64 * 1024;

/**
 * Queues webhook events as part of the change that causes them (transactional outbox): the
 * deliveries commit or roll back with the change, and WebhookDispatcher sends them later, so no
 * request ever waits on a webhook and no event is sent for a change that did not happen.
 */
@Injectable()
export class WebhookOutbox {
  private readonly logger = new Logger(WebhookOutbox.name);
  /** API keys (`<prefix>_<env>_<base62>`) and webhook secrets, anywhere in the serialised payload. */
  private readonly secretLike: RegExp;

  constructor(
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.secretLike = new RegExp(`${config.keys.prefix}_[a-z0-9]+_[A-Za-z0-9]{20,}|whsec_[A-Za-z0-9_-]{20,}`);
  }

  /**
   * Queues `event` for every enabled endpoint subscribed to it, inside the caller's transaction.
   * Throws (failing that transaction) for a malformed type, an oversized payload, or data holding
   * something that looks like a secret: payloads leave the building, secrets must not.
   */
  async enqueue(manager: EntityManager, event: WebhookEvent): Promise<void> {
    if (event.type.length > EVENT_TYPE_MAX_LENGTH || !EVENT_TYPE_PATTERN.test(event.type)) {
      throw new Error(`Webhook event type is malformed: it must be dot-separated lowercase words, at most ${EVENT_TYPE_MAX_LENGTH} characters`);
    }
    const payload: WebhookPayload = { id: randomUUID(), type: event.type, createdAt: this.clock.date().toISOString(), data: event.data };
    // jsonb refuses NUL characters; dropping them beats failing the caller's change.
    const json = JSON.stringify(payload, (_key, value: unknown) => (typeof value === 'string' ? value.replace(/\0/g, '') : value));
    if (this.secretLike.test(json)) throw new Error(`Webhook event ${event.type} refused: its data holds a value that looks like a secret`);
    if (Buffer.byteLength(json) > MAX_PAYLOAD_BYTES) throw new Error(`Webhook event ${event.type} refused: payload exceeds ${MAX_PAYLOAD_BYTES} bytes`);
    await this.deliveries.enqueue(manager, {
      id: payload.id,
      type: event.type,
      payload: json,
      subscriptions: subscriptionsMatching(event.type),
      time: new Date(payload.createdAt),
    });
  }

  /**
   * For callers without a transaction of their own (a job's finding, a security event). Never
   * throws: a refused or failed enqueue is logged. The embedded database has one connection, so
   * do not await this while holding a transaction — use `enqueue(manager, …)` there.
   */
  async enqueueDetached(event: WebhookEvent): Promise<void> {
    try {
      // One INSERT … SELECT: a transaction of its own.
      await this.enqueue(this.dataSource.manager, event);
    } catch (error) {
      this.logger.error(`Webhook event ${event.type} was not queued: ${(error as Error).message}`);
    }
  }
}
