import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { actorOf, SYSTEM_ACTOR } from '../audit/audit-record';
import { AuditWriter } from '../audit/audit.writer';
import { actingUserId, type Principal } from '../common/auth/principal';
import { SecretBox } from '../common/crypto/secret-box';
import { DomainError } from '../common/errors/domain-error';
import { Clock } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { WebhookEventType } from '../webhooks/webhook-events';
import { WebhookOutbox } from '../webhooks/webhook-outbox';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import type { ApiKeyResponseDto, CreatedApiKeyResponseDto } from './dto/api-key.dto';
import type { ApiKeyEntity } from './entities/api-key.entity';
import { KeyInvalidation } from './key-invalidation.service';

interface Rolled {
  predecessor: ApiKeyEntity;
  successor: ApiKeyEntity;
  plaintext: string;
  /** When the predecessor stops working: min(its expiry, now + grace). */
  graceEndsAt: Date;
}

/**
 * Rolling a key: a successor with the same settings, the predecessor kept working for a grace
 * period. Successor, predecessor update and audit record commit together, so a crash leaves a key
 * either rolled completely or not at all.
 */
@Injectable()
export class KeyRotationService {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly keys: ApiKeysRepository,
    private readonly apiKeys: ApiKeysService,
    private readonly audit: AuditWriter,
    private readonly invalidation: KeyInvalidation,
    private readonly secretBox: SecretBox,
    private readonly webhooks: WebhookOutbox,
  ) {}

  async roll(actor: Principal, id: string, graceSeconds = this.config.keys.rotationGraceSeconds): Promise<CreatedApiKeyResponseDto> {
    await this.apiKeys.findVisible(actor, id);
    const rolled = await this.audit.transaction(async (manager, record) => {
      const predecessor = await this.keys.lockForRoll(manager, id);
      if (!predecessor) throw DomainError.notFound('API key');
      const result = await this.rollLocked(manager, predecessor, graceSeconds);
      record({
        actor: actorOf(actor),
        action: 'key.rolled',
        target: { type: 'api_key', id },
        details: { successorId: result.successor.id, gracePeriodSeconds: graceSeconds, predecessorExpiresAt: result.graceEndsAt },
      });
      await this.webhooks.enqueue(manager, {
        type: WebhookEventType.KEY_ROLLED,
        data: { keyId: id, successorId: result.successor.id, ownerId: predecessor.ownerId, predecessorExpiresAt: result.graceEndsAt },
      });
      return result;
    });
    await this.invalidation.keysChanged([id]);
    return { ...this.apiKeys.toResponse(rolled.successor), key: rolled.plaintext };
  }

  /** Ends a roll's grace period now: the predecessor of key `id` is revoked. */
  async revokePrevious(actor: Principal, id: string): Promise<ApiKeyResponseDto> {
    const successor = await this.apiKeys.findVisible(actor, id);
    const predecessorId = successor.rotatedFromId;
    if (!predecessorId) throw DomainError.conflict('This key was not rolled from another key');
    await this.audit.transaction(async (manager, record) => {
      const predecessor = await this.keys.lockForRoll(manager, predecessorId);
      const now = this.clock.now();
      if (!predecessor || predecessor.revokedAt || (predecessor.expiresAt && predecessor.expiresAt.getTime() <= now)) {
        throw DomainError.conflict('The previous key has already stopped working');
      }
      await this.keys.update(predecessorId, { revokedAt: new Date(now), revokedReason: `grace period ended early for ${id}` }, manager);
      record({ actor: actorOf(actor), action: 'key.revoked', target: { type: 'api_key', id: predecessorId }, details: { reason: 'grace period ended early', successorId: id } });
      await this.webhooks.enqueue(manager, { type: WebhookEventType.KEY_REVOKED, data: { keyId: predecessorId, ownerId: predecessor.ownerId } });
    });
    await this.invalidation.keysChanged([predecessorId]);
    return this.apiKeys.toResponse((await this.keys.findByIdForAdmin(predecessorId))!);
  }

  /**
   * The rotation job: rolls every key whose rotation interval has elapsed, each in its own
   * transaction. A key another runner holds is skipped, and a key already rolled is not due any more,
   * so two runners at once rotate each key once; a crash leaves the rest for the next tick.
   */
  async rotateDue(): Promise<{ rotated: number }> {
    let rotated = 0;
    let after: { sort: string; id: string } | undefined;
    for (;;) {
      const due = await this.keys.findDueForRotation(this.clock.date(), this.config.jobs.batchSize, after);
      for (const key of due) {
        if (await this.rotateOne(key.id)) rotated++;
      }
      if (due.length < this.config.jobs.batchSize) return { rotated };
      const last = due[due.length - 1];
      after = { sort: last.createdAt.toISOString(), id: last.id };
    }
  }

  /** The successor's secret, once, for its owner: stored by a scheduled rotation, destroyed here. */
  async reveal(actor: Principal, id: string): Promise<CreatedApiKeyResponseDto> {
    const key = await this.apiKeys.findVisible(actor, id);
    if (key.ownerId !== actingUserId(actor)) throw DomainError.forbidden("Only the key's owner can reveal its secret");
    const plaintext = await this.audit.transaction(async (manager, record) => {
      const sealed = await this.keys.takeSecret(manager, id, this.clock.date());
      if (!sealed) throw DomainError.notFound('Stored secret (already revealed, past its grace period, or never stored)');
      record({ actor: actorOf(actor), action: 'key.revealed', target: { type: 'api_key', id } });
      return this.secretBox.open(sealed, id);
    });
    return { ...this.apiKeys.toResponse(key), key: plaintext };
  }

  private async rotateOne(id: string): Promise<boolean> {
    const grace = this.config.keys.rotationGraceSeconds;
    const rotated = await this.audit.transaction(async (manager, record) => {
      const key = await this.keys.lockForRoll(manager, id, true);
      if (!key || !this.isDue(key)) return false;
      const { successor, plaintext, graceEndsAt } = await this.rollLocked(manager, key, grace);
      const secretStored = this.config.keys.storeSecretsServerSide;
      if (secretStored) await this.keys.storeSecret(manager, successor.id, this.secretBox.seal(plaintext, successor.id), graceEndsAt);
      await this.webhooks.enqueue(manager, {
        type: WebhookEventType.KEY_ROTATED,
        data: { keyId: id, successorId: successor.id, ownerId: key.ownerId, predecessorExpiresAt: graceEndsAt, secretStored },
      });
      record({
        actor: SYSTEM_ACTOR,
        action: 'key.rotated',
        target: { type: 'api_key', id },
        details: {
          successorId: successor.id,
          ownerId: key.ownerId,
          predecessorExpiresAt: graceEndsAt,
          secretStored,
          // Without a stored secret nobody can use the successor: its owner must roll it in time.
          ...(secretStored ? {} : { ownerAction: 'roll the successor to obtain a usable key before the predecessor expires' }),
        },
      });
      return true;
    });
    if (rotated) await this.invalidation.keysChanged([id]);
    return rotated;
  }

  /** Re-checked under the row lock: another runner may have rolled it since it was listed. */
  private isDue(key: ApiKeyEntity): boolean {
    const now = this.clock.now();
    return (
      key.rotationIntervalSeconds !== null &&
      key.rotatedToId === null &&
      key.revokedAt === null &&
      !key.honeytoken &&
      (key.expiresAt === null || key.expiresAt.getTime() > now) &&
      key.createdAt.getTime() + key.rotationIntervalSeconds * 1000 <= now
    );
  }

  private async rollLocked(manager: EntityManager, predecessor: ApiKeyEntity, graceSeconds: number): Promise<Rolled> {
    const now = this.clock.now();
    if (predecessor.revokedAt) throw DomainError.conflict('A revoked key cannot be rolled');
    if (predecessor.expiresAt && predecessor.expiresAt.getTime() <= now) throw DomainError.conflict('An expired key cannot be rolled');
    if (predecessor.rotatedToId) throw DomainError.conflict('This key has already been rolled; roll its successor instead');

    const { plaintext, material } = this.apiKeys.mint(predecessor.environment);
    const successor = await this.keys.insert(
      {
        ...material,
        ownerId: predecessor.ownerId,
        name: predecessor.name,
        environment: predecessor.environment,
        permissions: predecessor.permissions,
        roles: predecessor.roles,
        ipAllowlist: predecessor.ipAllowlist,
        rateLimit: predecessor.rateLimit,
        rateLimitWindowSeconds: predecessor.rateLimitWindowSeconds,
        remaining: predecessor.remaining,
        refillAmount: predecessor.refillAmount,
        refillInterval: predecessor.refillInterval,
        enabled: predecessor.enabled,
        expiresAt: this.successorExpiry(predecessor, now),
        rotationIntervalSeconds: predecessor.rotationIntervalSeconds,
        rotatedFromId: predecessor.id,
        meta: predecessor.meta,
        honeytoken: predecessor.honeytoken,
      },
      manager,
    );
    const graceEnd = now + graceSeconds * 1000;
    const graceEndsAt = new Date(predecessor.expiresAt ? Math.min(predecessor.expiresAt.getTime(), graceEnd) : graceEnd);
    await this.keys.update(predecessor.id, { expiresAt: graceEndsAt, rotatedToId: successor.id }, manager);
    return { predecessor, successor, plaintext, graceEndsAt };
  }

  /** A fresh lifetime as long as the predecessor's (within KEY_MAX_TTL); none if it had none. */
  private successorExpiry(predecessor: ApiKeyEntity, now: number): Date | null {
    const maxMs = this.config.keys.maxTtlSeconds * 1000;
    const lifetime = predecessor.expiresAt ? predecessor.expiresAt.getTime() - predecessor.createdAt.getTime() : maxMs;
    if (lifetime <= 0) return null;
    return new Date(now + (maxMs > 0 ? Math.min(lifetime, maxMs) : lifetime));
  }
}
