import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type EntityManager, type Repository, type DeepPartial } from 'typeorm';
import type { SealedSecret } from '../common/crypto/secret-box';
import type { CursorPosition } from '../common/pagination/cursor';
import { containsPattern, keysetPage } from '../common/pagination/keyset';
import { ApiKeyEntity } from './entities/api-key.entity';

export type KeyStatus = 'active' | 'expired' | 'revoked' | 'disabled';

export interface KeyListFilter {
  /** Undefined only for callers allowed to see every owner's keys. */
  ownerId?: string;
  status?: KeyStatus;
  environment?: string;
  q?: string;
  after?: CursorPosition;
  limit: number;
}

/** A key row joined with what the verifier needs from its owner. */
export interface VerificationRow {
  id: string;
  owner_id: string;
  name: string;
  environment: string;
  hash: Buffer;
  hash_algorithm: string;
  permissions: string[];
  roles: string[];
  ip_allowlist: string[];
  rate_limit: number | null;
  rate_limit_window_seconds: number | null;
  remaining: number | null;
  expires_at: Date | null;
  enabled: boolean;
  revoked_at: Date | null;
  deleted_at: Date | null;
  meta: Record<string, unknown>;
  honeytoken: boolean;
  owner_status: string;
  owner_expires_at: Date | null;
  owner_deleted_at: Date | null;
  owner_roles: string[];
  owner_permissions: string[];
}

@Injectable()
export class ApiKeysRepository {
  constructor(@InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>) {}

  private repo(manager?: EntityManager): Repository<ApiKeyEntity> {
    return manager ? manager.getRepository(ApiKeyEntity) : this.keys;
  }

  insert(values: DeepPartial<ApiKeyEntity>, manager?: EntityManager): Promise<ApiKeyEntity> {
    return this.repo(manager).save(this.repo(manager).create(values));
  }

  /** User-facing read: another owner's key is indistinguishable from a missing one. */
  findOwnedById(ownerId: string, id: string, manager?: EntityManager): Promise<ApiKeyEntity | null> {
    return this.repo(manager).findOneBy({ id, ownerId, deletedAt: IsNull() });
  }

  /** Admin read across owners. */
  findByIdForAdmin(id: string, manager?: EntityManager): Promise<ApiKeyEntity | null> {
    return this.repo(manager).findOneBy({ id, deletedAt: IsNull() });
  }

  async update(id: string, values: DeepPartial<ApiKeyEntity>, manager?: EntityManager): Promise<void> {
    await this.repo(manager).update({ id }, values as object);
  }

  list(filter: KeyListFilter): Promise<ApiKeyEntity[]> {
    const query = keysetPage(this.keys.createQueryBuilder('k'), 'k', filter.limit, filter.after);
    if (filter.ownerId) query.andWhere('k.owner_id = :ownerId', { ownerId: filter.ownerId });
    if (filter.environment) query.andWhere('k.environment = :environment', { environment: filter.environment });
    if (filter.q) query.andWhere('k.name ILIKE :pattern', { pattern: containsPattern(filter.q) });
    switch (filter.status) {
      case 'revoked':
        query.andWhere('k.revoked_at IS NOT NULL');
        break;
      case 'expired':
        query.andWhere('k.revoked_at IS NULL AND k.expires_at <= now()');
        break;
      case 'disabled':
        query.andWhere('k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now()) AND NOT k.enabled');
        break;
      case 'active':
        query.andWhere('k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now()) AND k.enabled');
        break;
    }
    return query.getMany();
  }

  /** One indexed lookup for a key's hash under every supported algorithm, owner included. */
  async findForVerification(hashes: Buffer[]): Promise<VerificationRow[]> {
    return this.keys.query(
      `SELECT k.id, k.owner_id, k.name, k.environment, k.hash, k.hash_algorithm, k.permissions, k.roles,
              k.ip_allowlist, k.rate_limit, k.rate_limit_window_seconds, k.remaining, k.expires_at, k.enabled,
              k.revoked_at, k.deleted_at, k.meta, k.honeytoken,
              u.status AS owner_status, u.expires_at AS owner_expires_at, u.deleted_at AS owner_deleted_at,
              u.roles AS owner_roles, u.permissions AS owner_permissions
         FROM api_keys k JOIN users u ON u.id = k.owner_id
        WHERE k.hash = ANY($1::bytea[])`,
      [hashes],
    );
  }

  /**
   * Spends one credit atomically; exact under any concurrency and across instances.
   * Returns the balance left (null = unlimited), or undefined when none was left to spend.
   */
  async consumeCredit(id: string): Promise<number | null | undefined> {
    const [rows] = (await this.keys.query(
      `UPDATE api_keys SET remaining = remaining - 1
        WHERE id = $1 AND (remaining IS NULL OR remaining > 0)
        RETURNING remaining`,
      [id],
    )) as [Array<{ remaining: number | null }>, number];
    return rows.length === 0 ? undefined : rows[0].remaining;
  }

  /**
   * Resets the balance of keys whose refill period (UTC day or month) has begun since their last
   * refill. Idempotent: running it twice, or on two instances, refills once.
   */
  async refillDueCredits(): Promise<number> {
    const [, affected] = (await this.keys.query(
      `UPDATE api_keys SET remaining = refill_amount, refilled_at = now()
        WHERE refill_interval IS NOT NULL AND refill_amount IS NOT NULL
          AND revoked_at IS NULL AND deleted_at IS NULL
          AND COALESCE(refilled_at, created_at)
              < date_trunc(CASE refill_interval WHEN 'daily' THEN 'day' ELSE 'month' END, now(), 'UTC')`,
    )) as [unknown, number];
    return affected;
  }

  /**
   * Locks a live key for a roll. `skipLocked`: a scheduled runner passes over a key another runner
   * holds (that runner is rolling it) instead of waiting to roll it twice.
   */
  lockForRoll(manager: EntityManager, id: string, skipLocked = false): Promise<ApiKeyEntity | null> {
    return manager.getRepository(ApiKeyEntity).findOne({
      where: { id, deletedAt: IsNull() },
      lock: skipLocked ? { mode: 'pessimistic_write', onLocked: 'skip_locked' } : { mode: 'pessimistic_write' },
    });
  }

  /** Keys whose rotation interval has elapsed since creation, in (created_at, id) order after `after`. */
  async findDueForRotation(now: Date, limit: number, after?: CursorPosition): Promise<Array<{ id: string; createdAt: Date }>> {
    const rows: Array<{ id: string; created_at: Date }> = await this.keys.query(
      `SELECT id, created_at FROM api_keys
        WHERE rotation_interval_seconds IS NOT NULL AND rotated_to_id IS NULL AND revoked_at IS NULL AND deleted_at IS NULL
          AND NOT honeytoken AND (expires_at IS NULL OR expires_at > $1)
          AND created_at + make_interval(secs => rotation_interval_seconds) <= $1
          AND ($2::timestamptz IS NULL OR (created_at, id) > ($2::timestamptz, $3::uuid))
        ORDER BY created_at, id LIMIT $4`,
      [now.toISOString(), after?.sort ?? null, after?.id ?? null, limit],
    );
    return rows.map((row) => ({ id: row.id, createdAt: new Date(row.created_at) }));
  }

  /** Marks up to `limit` newly expired keys as recorded; returns them (the caller audits each). */
  async claimExpired(manager: EntityManager, now: Date, limit: number): Promise<Array<{ id: string; owner_id: string; name: string; expires_at: Date }>> {
    const [rows] = (await manager.query(
      `UPDATE api_keys SET expiry_recorded_at = $1
        WHERE id IN (SELECT id FROM api_keys
                      WHERE expires_at <= $1 AND expiry_recorded_at IS NULL AND revoked_at IS NULL AND deleted_at IS NULL
                      ORDER BY expires_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING id, owner_id, name, expires_at`,
      [now.toISOString(), limit],
    )) as [Array<{ id: string; owner_id: string; name: string; expires_at: Date }>, number];
    return rows;
  }

  /**
   * Marks up to `limit` keys expiring within `horizonDays` that have not had that warning, along with
   * every wider horizon (a key first seen a day before expiry gets only the one-day warning).
   */
  async claimExpiryWarnings(
    manager: EntityManager,
    now: Date,
    horizonDays: number,
    widerHorizons: number[],
    limit: number,
  ): Promise<Array<{ id: string; owner_id: string; name: string; expires_at: Date }>> {
    const [rows] = (await manager.query(
      `UPDATE api_keys SET expiry_warnings = ARRAY(SELECT DISTINCT unnest(expiry_warnings || $3::int[]))
        WHERE id IN (SELECT id FROM api_keys
                      WHERE expires_at > $1 AND expires_at <= $1::timestamptz + make_interval(days => $2)
                        AND NOT ($2 = ANY (expiry_warnings)) AND revoked_at IS NULL AND deleted_at IS NULL AND NOT honeytoken
                      ORDER BY expires_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)
        RETURNING id, owner_id, name, expires_at`,
      [now.toISOString(), horizonDays, [horizonDays, ...widerHorizons], limit],
    )) as [Array<{ id: string; owner_id: string; name: string; expires_at: Date }>, number];
    return rows;
  }

  /** Disables up to `limit` active keys unused since `before`, saying why. */
  async disableUnusedSince(manager: EntityManager, now: Date, before: Date, reason: string, limit: number): Promise<Array<{ id: string; owner_id: string; last_used_at: Date | null }>> {
    const [rows] = (await manager.query(
      `UPDATE api_keys SET enabled = false, disabled_reason = $3, updated_at = $1
        WHERE id IN (SELECT id FROM api_keys
                      WHERE enabled AND revoked_at IS NULL AND deleted_at IS NULL AND NOT honeytoken
                        AND (expires_at IS NULL OR expires_at > $1) AND COALESCE(last_used_at, created_at) < $2
                      ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED)
        RETURNING id, owner_id, last_used_at`,
      [now.toISOString(), before.toISOString(), reason, limit],
    )) as [Array<{ id: string; owner_id: string; last_used_at: Date | null }>, number];
    return rows;
  }

  async storeSecret(manager: EntityManager, keyId: string, sealed: SealedSecret, expiresAt: Date): Promise<void> {
    await manager.query(
      `INSERT INTO key_secrets (key_id, encryption_key_id, iv, ciphertext, auth_tag, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [keyId, sealed.keyId, sealed.iv, sealed.ciphertext, sealed.authTag, expiresAt.toISOString()],
    );
  }

  /** Removes and returns a key's stored secret if it is still within its window: a second call finds nothing. */
  async takeSecret(manager: EntityManager, keyId: string, now: Date): Promise<SealedSecret | undefined> {
    const [rows] = (await manager.query(
      `DELETE FROM key_secrets WHERE key_id = $1 AND expires_at > $2
        RETURNING encryption_key_id, iv, ciphertext, auth_tag`,
      [keyId, now.toISOString()],
    )) as [Array<{ encryption_key_id: string; iv: Buffer; ciphertext: Buffer; auth_tag: Buffer }>, number];
    const row = rows[0];
    return row && { keyId: row.encryption_key_id, iv: row.iv, ciphertext: row.ciphertext, authTag: row.auth_tag };
  }

  async deleteSecretsExpiredBy(now: Date): Promise<number> {
    const [, removed] = (await this.keys.query(`DELETE FROM key_secrets WHERE expires_at <= $1`, [now.toISOString()])) as [unknown, number];
    return removed;
  }

  async softDelete(id: string, manager?: EntityManager): Promise<void> {
    await this.repo(manager).update({ id }, { deletedAt: () => 'now()', revokedAt: () => 'COALESCE(revoked_at, now())' } as object);
  }
}
