import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { SecretBox } from '../common/crypto/secret-box';
import { Clock } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { WebhookDeliveriesRepository, type AttemptResult, type ClaimedDelivery } from './webhook-deliveries.repository';
import { signatureHeader } from './webhook-signature';

/** Deliveries claimed and sent together: also the most requests in flight at once. */
const BATCH_SIZE = 10;
/** Batches per tick, so a backlog drains steadily without one tick running for ever. */
const MAX_BATCHES_PER_TICK = 10;
const MAX_BACKOFF_SECONDS = 3600;
/** Beyond the request timeout, for recording the outcome before the claim lapses. */
const LEASE_MARGIN_MS = 60_000;
const MAX_ERROR_LENGTH = 500;
const USER_AGENT = 'Keyward-Webhooks/1';

export interface DispatchCounts {
  /** Deliveries taken this tick. */
  claimed: number;
  delivered: number;
  /** Failed attempts that will be retried. */
  retrying: number;
  /** Given up: out of attempts, or the endpoint was disabled or deleted. */
  failed: number;
}

type Outcome = 'delivered' | 'retrying' | 'failed';

/**
 * Sends queued deliveries every WEBHOOK_DISPATCH_INTERVAL_MS. Each batch is claimed in one short
 * statement and sent with no transaction open (the embedded database has a single connection),
 * so instances share the work without double-sending. Delivery is at least once: a receiver
 * dedupes on `X-Keyward-Delivery`. A failed attempt is retried after WEBHOOK_RETRY_BASE × 2^(n-1),
 * at most an hour, until WEBHOOK_MAX_ATTEMPTS.
 */
@Injectable()
export class WebhookDispatcher implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private readonly settings: AppConfig['webhooks'];
  private timer?: NodeJS.Timeout;
  private inFlight?: Promise<DispatchCounts>;

  constructor(
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly secretBox: SecretBox,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.settings = config.webhooks;
  }

  onModuleInit(): void {
    // A tick still running when the next is due is not doubled up.
    this.timer = setInterval(() => void (this.inFlight ?? this.dispatchDue()), this.settings.dispatchIntervalMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.inFlight;
  }

  /** Sends what is due now; waits for a tick already running on this instance first. Never throws. */
  async dispatchDue(): Promise<DispatchCounts> {
    while (this.inFlight) await this.inFlight;
    this.inFlight = this.dispatchBatches().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async dispatchBatches(): Promise<DispatchCounts> {
    const counts: DispatchCounts = { claimed: 0, delivered: 0, retrying: 0, failed: 0 };
    try {
      for (let batch = 0; batch < MAX_BATCHES_PER_TICK; batch++) {
        const now = this.clock.now();
        const claimed = await this.deliveries.claimDue(new Date(now), new Date(now + this.settings.timeoutMs + LEASE_MARGIN_MS), BATCH_SIZE);
        counts.claimed += claimed.length;
        // Settled, not all: a tick ends only once each of its requests has.
        for (const result of await Promise.allSettled(claimed.map((delivery) => this.deliver(delivery)))) {
          if (result.status === 'fulfilled') counts[result.value] += 1;
          else this.logger.error(`Could not record a webhook delivery attempt: ${(result.reason as Error).message}`);
        }
        if (claimed.length < BATCH_SIZE) break;
      }
    } catch (error) {
      this.logger.error(`Webhook dispatch failed: ${(error as Error).message}`);
    }
    return counts;
  }

  private async deliver(delivery: ClaimedDelivery): Promise<Outcome> {
    if (!delivery.active) {
      await this.deliveries.failUnsent(delivery.id, 'endpoint disabled');
      return 'failed';
    }
    const response = await this.post(delivery);
    const time = this.clock.date();
    const attempts = delivery.attempts + 1;
    let result: AttemptResult;
    if (response.error === null) {
      result = { status: 'delivered', time, nextAttemptAt: time, ...response };
    } else if (attempts >= this.settings.maxAttempts) {
      result = { status: 'failed', time, nextAttemptAt: time, ...response };
      this.logger.warn(`Webhook delivery ${delivery.id} to endpoint ${delivery.webhookId} failed after ${attempts} attempts: ${response.error}`);
    } else {
      const backoffSeconds = Math.min(this.settings.retryBaseSeconds * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS);
      result = { status: 'pending', time, nextAttemptAt: new Date(time.getTime() + backoffSeconds * 1000), ...response };
    }
    await this.deliveries.recordAttempt(delivery.id, delivery.attempts, result);
    return result.status === 'pending' ? 'retrying' : result.status;
  }

  /** One signed POST; any answer but 2xx, and any failure to get one, is an error. Never throws. */
  private async post(delivery: ClaimedDelivery): Promise<{ statusCode: number | null; error: string | null }> {
    try {
      const secret = this.secretBox.open(delivery.secret, delivery.webhookId);
      const body = JSON.stringify(delivery.payload);
      const response = await fetch(delivery.url, {
        method: 'POST',
        body,
        // A redirect could lead the signed payload anywhere; the receiver must answer itself.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.settings.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          'x-keyward-event': delivery.eventType,
          'x-keyward-delivery': delivery.id,
          'x-keyward-signature': signatureHeader(secret, Math.floor(this.clock.now() / 1000), body),
        },
      });
      // Only the status matters; release the connection without reading the body.
      await response.body?.cancel();
      if (response.ok) return { statusCode: response.status, error: null };
      const redirect = response.status >= 300 && response.status < 400 ? ' (redirects are not followed)' : '';
      return { statusCode: response.status, error: `HTTP ${response.status}${redirect}` };
    } catch (error) {
      return { statusCode: null, error: describe(error, this.settings.timeoutMs) };
    }
  }
}

/** fetch reports most network failures as "fetch failed" with the reason in `cause`. */
function describe(error: unknown, timeoutMs: number): string {
  const { name, message, cause } = error as Error & { cause?: unknown };
  if (name === 'TimeoutError') return `timed out after ${timeoutMs} ms`;
  const reason = cause instanceof Error ? `${message}: ${cause.message}` : message;
  return reason.slice(0, MAX_ERROR_LENGTH);
}
