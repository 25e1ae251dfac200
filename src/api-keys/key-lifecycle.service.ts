import { Injectable } from '@nestjs/common';
import { SYSTEM_ACTOR } from '../audit/audit-record';
import { AuditWriter } from '../audit/audit.writer';
import { Clock } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { WebhookEventType } from '../webhooks/webhook-events';
import { WebhookOutbox } from '../webhooks/webhook-outbox';
import { ApiKeysRepository } from './api-keys.repository';
import { KeyInvalidation } from './key-invalidation.service';

const DAY_MS = 86_400_000;

/**
 * What happens to keys with time: expiry is recorded (`key.expired`) and announced ahead
 * (`key.expiring`, once per horizon), and keys nobody uses are disabled when a policy says so.
 * Work is claimed in batches with row locks (SKIP LOCKED) and marked in the same transaction as its
 * audit records, so each event is recorded once even with several runners, and a crash loses none.
 */
@Injectable()
export class KeyLifecycleService {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly keys: ApiKeysRepository,
    private readonly audit: AuditWriter,
    private readonly invalidation: KeyInvalidation,
    private readonly webhooks: WebhookOutbox,
  ) {}

  async recordExpiries(): Promise<{ expired: number; warned: number; secretsDestroyed: number }> {
    const batch = this.config.jobs.batchSize;
    let expired = 0;
    for (;;) {
      const claimed = await this.audit.transaction(async (manager, record) => {
        const keys = await this.keys.claimExpired(manager, this.clock.date(), batch);
        for (const key of keys) {
          record({ actor: SYSTEM_ACTOR, action: 'key.expired', target: { type: 'api_key', id: key.id }, details: { ownerId: key.owner_id, name: key.name, expiresAt: key.expires_at } });
          await this.webhooks.enqueue(manager, { type: WebhookEventType.KEY_EXPIRED, data: { keyId: key.id, ownerId: key.owner_id, expiresAt: key.expires_at } });
        }
        return keys.length;
      });
      expired += claimed;
      if (claimed < batch) break;
    }

    let warned = 0;
    const horizons = this.config.keys.expiryWarningDays;
    for (const [index, days] of horizons.entries()) {
      for (;;) {
        const claimed = await this.audit.transaction(async (manager, record) => {
          const keys = await this.keys.claimExpiryWarnings(manager, this.clock.date(), days, horizons.slice(index + 1), batch);
          for (const key of keys) {
            const daysLeft = Math.max(0, Math.floor((new Date(key.expires_at).getTime() - this.clock.now()) / DAY_MS));
            record({
              actor: SYSTEM_ACTOR,
              action: 'key.expiring',
              target: { type: 'api_key', id: key.id },
              details: { ownerId: key.owner_id, name: key.name, expiresAt: key.expires_at, horizonDays: days, daysLeft },
            });
            await this.webhooks.enqueue(manager, {
              type: WebhookEventType.KEY_EXPIRING,
              data: { keyId: key.id, ownerId: key.owner_id, expiresAt: key.expires_at, horizonDays: days, daysLeft },
            });
          }
          return keys.length;
        });
        warned += claimed;
        if (claimed < batch) break;
      }
    }
    // Reveal-once secrets live only as long as their predecessor's grace period.
    const secretsDestroyed = await this.keys.deleteSecretsExpiredBy(this.clock.date());
    return { expired, warned, secretsDestroyed };
  }

  /** STALE_KEY_DAYS policy: active keys unused that long are disabled, with the reason recorded. */
  async disableStaleKeys(): Promise<{ disabled: number }> {
    const days = this.config.keys.staleKeyDays;
    if (days === 0) return { disabled: 0 };
    const reason = `unused for ${days} days`;
    let disabled = 0;
    for (;;) {
      const ids = await this.audit.transaction(async (manager, record) => {
        const now = this.clock.date();
        const keys = await this.keys.disableUnusedSince(manager, now, new Date(now.getTime() - days * DAY_MS), reason, this.config.jobs.batchSize);
        for (const key of keys) {
          record({ actor: SYSTEM_ACTOR, action: 'key.disabled', target: { type: 'api_key', id: key.id }, details: { ownerId: key.owner_id, reason, lastUsedAt: key.last_used_at } });
        }
        return keys.map((key) => key.id);
      });
      if (ids.length > 0) await this.invalidation.keysChanged(ids);
      disabled += ids.length;
      if (ids.length < this.config.jobs.batchSize) return { disabled };
    }
  }
}
