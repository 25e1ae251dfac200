import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type EntityManager, type Repository, type DeepPartial } from 'typeorm';
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

  async softDelete(id: string, manager?: EntityManager): Promise<void> {
    await this.repo(manager).update({ id }, { deletedAt: () => 'now()', revokedAt: () => 'COALESCE(revoked_at, now())' } as object);
  }
}
