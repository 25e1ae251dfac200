import { Injectable } from '@nestjs/common';
import { parseCidr, type CidrRange } from '../common/net/cidr';
import { AppConfig } from '../config/app-config';
import { intersectPermissions } from '../permissions/permission-evaluator';
import { RbacService } from '../permissions/rbac.service';
import { ApiKeysRepository, type VerificationRow } from './api-keys.repository';
import { KeyHasher } from './key-hasher';
import type { KeySnapshot } from './verification.types';

/** Loads a key by plaintext from the database and resolves it into a cacheable snapshot. */
@Injectable()
export class KeySnapshotLoader {
  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly hasher: KeyHasher,
    private readonly rbac: RbacService,
    private readonly config: AppConfig,
  ) {}

  async load(plaintext: string, currentHash: Buffer): Promise<KeySnapshot | undefined> {
    const candidates = this.hasher.candidates(plaintext, currentHash);
    const rows = await this.keys.findForVerification(candidates.map((c) => c.hash));
    // The row must match under the algorithm it was stored with (constant-time comparison).
    const row = rows.find((r) => candidates.some((c) => c.algorithm === r.hash_algorithm && KeyHasher.equal(c.hash, r.hash)));
    return row ? this.toSnapshot(row) : undefined;
  }

  private toSnapshot(row: VerificationRow): KeySnapshot {
    const ownerPermissions = this.rbac.effectivePermissions(row.owner_roles, row.owner_permissions);
    const keyPermissions = this.rbac.effectivePermissions(row.roles, row.permissions);
    const defaults = this.config.keys.rateLimit;
    const rateLimit =
      row.rate_limit !== null
        ? { limit: row.rate_limit, windowSeconds: row.rate_limit_window_seconds ?? defaults.windowSeconds }
        : defaults.limit > 0
          ? defaults
          : null;
    return {
      id: row.id,
      ownerId: row.owner_id,
      name: row.name,
      environment: row.environment,
      permissions: intersectPermissions(keyPermissions, ownerPermissions),
      meta: row.meta,
      expiresAt: row.expires_at?.getTime() ?? null,
      expiresAtIso: row.expires_at?.toISOString() ?? null,
      ownerExpiresAt: row.owner_expires_at?.getTime() ?? null,
      enabled: row.enabled,
      ownerActive: row.owner_status === 'active' && row.owner_deleted_at === null,
      revoked: row.revoked_at !== null || row.deleted_at !== null,
      honeytoken: row.honeytoken,
      ipAllowlist: row.ip_allowlist.map(parseCidr).filter((range): range is CidrRange => range !== undefined),
      rateLimit,
      hasCredits: row.remaining !== null,
    };
  }
}
