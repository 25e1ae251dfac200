import { Injectable } from '@nestjs/common';
import { actorOf, type AuditEntry } from '../audit/audit-record';
import { AuditWriter } from '../audit/audit.writer';
import { actingUserId, type Principal } from '../common/auth/principal';
import { DomainError } from '../common/errors/domain-error';
import { decodeKeysetCursor, toPage, type Page } from '../common/pagination/cursor';
import { Clock } from '../common/time/clock';
import { WebhookEventType } from '../webhooks/webhook-events';
import { WebhookOutbox } from '../webhooks/webhook-outbox';
import { AppConfig } from '../config/app-config';
import { isGranted } from '../permissions/permission-evaluator';
import { RbacService } from '../permissions/rbac.service';
import { UsersRepository } from '../users/users.repository';
import { ApiKeysRepository, type KeyStatus } from './api-keys.repository';
import type {
  ApiKeyResponseDto,
  CreateApiKeyDto,
  CreatedApiKeyResponseDto,
  ListApiKeysQueryDto,
  UpdateApiKeyDto,
  UsageQueryDto,
  UsageResponseDto,
} from './dto/api-key.dto';
import type { ApiKeyEntity } from './entities/api-key.entity';
import { generateKey, parseKey } from './key-format';
import { KeyHasher } from './key-hasher';
import { KeyInvalidation } from './key-invalidation.service';
import { KeyUsageQuery } from './key-usage.query';

/** Holding this lets a caller see and manage every owner's keys. */
export const ALL_KEYS_PERMISSION = 'keys:read:all';

@Injectable()
export class ApiKeysService {
  constructor(
    private readonly config: AppConfig,
    private readonly keys: ApiKeysRepository,
    private readonly users: UsersRepository,
    private readonly hasher: KeyHasher,
    private readonly rbac: RbacService,
    private readonly invalidation: KeyInvalidation,
    private readonly usage: KeyUsageQuery,
    private readonly audit: AuditWriter,
    private readonly clock: Clock,
    private readonly webhooks: WebhookOutbox,
  ) {}

  async create(actor: Principal, dto: CreateApiKeyDto): Promise<CreatedApiKeyResponseDto> {
    const ownerId = dto.ownerId ?? actingUserId(actor);
    if (ownerId !== actingUserId(actor) && !isGranted(ALL_KEYS_PERMISSION, actor.permissions)) {
      throw DomainError.forbidden(`Creating keys for another user requires ${ALL_KEYS_PERMISSION}`);
    }
    const owner = await this.users.findById(ownerId);
    if (!owner) throw DomainError.notFound('Owner');
    const roles = unique(dto.roles ?? []);
    const permissions = unique(dto.permissions ?? []);
    this.rbac.assertRolesExist(roles);
    this.rbac.assertPermissionsKnown(permissions);
    // Nobody grants more than they hold, and a key never exceeds its owner.
    this.rbac.assertCanGrant(actor.permissions, roles, permissions);
    this.rbac.assertCanGrant(this.rbac.effectivePermissions(owner.roles, owner.permissions), roles, permissions);
    if (dto.expiresAt && dto.ttlSeconds !== undefined) throw DomainError.badRequest('Give expiresAt or ttlSeconds, not both');

    const environment = dto.environment ?? this.config.keys.defaultEnvironment;
    const { plaintext, material } = this.mint(environment);
    const values = {
      ownerId,
      name: dto.name,
      environment,
      ...material,
      permissions,
      roles,
      ipAllowlist: dto.ipAllowlist ?? [],
      rateLimit: dto.rateLimit?.limit ?? null,
      rateLimitWindowSeconds: dto.rateLimit?.windowSeconds ?? null,
      remaining: dto.remaining ?? null,
      refillAmount: dto.refill?.amount ?? null,
      refillInterval: dto.refill?.interval ?? null,
      expiresAt: this.expiryFor(dto.expiresAt, dto.ttlSeconds, true),
      // KEY_ROTATION_INTERVAL applies to keys that do not say; null opts a key out.
      rotationIntervalSeconds: dto.rotationIntervalSeconds === undefined ? this.config.keys.rotationIntervalSeconds || null : dto.rotationIntervalSeconds,
      meta: dto.meta ?? {},
      honeytoken: dto.honeytoken ?? false,
    };
    const entity = await this.audit.transaction(async (manager, record) => {
      const created = await this.keys.insert(values, manager);
      record(keyEntry(actor, 'key.created', created.id, this.settingsOf(created)));
      await this.webhooks.enqueue(manager, { type: WebhookEventType.KEY_CREATED, data: { keyId: created.id, ownerId, environment } });
      return created;
    });
    return { ...this.toResponse(entity), key: plaintext };
  }

  async list(actor: Principal, query: ListApiKeysQueryDto): Promise<Page<ApiKeyResponseDto>> {
    const seesAll = isGranted(ALL_KEYS_PERMISSION, actor.permissions);
    if (query.ownerId && !seesAll && query.ownerId !== actingUserId(actor)) {
      throw DomainError.forbidden(`Listing another user's keys requires ${ALL_KEYS_PERMISSION}`);
    }
    const rows = await this.keys.list({
      ownerId: seesAll ? query.ownerId : actingUserId(actor),
      status: query.status,
      environment: query.environment,
      q: query.q,
      after: query.cursor ? decodeKeysetCursor(query.cursor) : undefined,
      limit: query.limit,
    });
    return toPage(rows, query.limit, (k) => ({ sort: k.createdAt.toISOString(), id: k.id }), (k) => this.toResponse(k));
  }

  async get(actor: Principal, id: string): Promise<ApiKeyResponseDto> {
    return this.toResponse(await this.findVisible(actor, id));
  }

  async update(actor: Principal, id: string, dto: UpdateApiKeyDto): Promise<ApiKeyResponseDto> {
    const key = await this.findVisible(actor, id);
    if (dto.roles !== undefined || dto.permissions !== undefined) {
      const roles = unique(dto.roles ?? key.roles);
      const permissions = unique(dto.permissions ?? key.permissions);
      this.rbac.assertRolesExist(roles);
      this.rbac.assertPermissionsKnown(permissions);
      this.rbac.assertCanGrant(actor.permissions, roles, permissions);
      const owner = await this.users.findById(key.ownerId);
      this.rbac.assertCanGrant(owner ? this.rbac.effectivePermissions(owner.roles, owner.permissions) : [], roles, permissions);
    }
    const changes: Partial<ApiKeyEntity> = {
      ...(dto.name !== undefined && { name: dto.name }),
      ...(dto.permissions !== undefined && { permissions: unique(dto.permissions) }),
      ...(dto.roles !== undefined && { roles: unique(dto.roles) }),
      ...(dto.ipAllowlist !== undefined && { ipAllowlist: dto.ipAllowlist }),
      ...(dto.rateLimit !== undefined && {
        rateLimit: dto.rateLimit?.limit ?? null,
        rateLimitWindowSeconds: dto.rateLimit?.windowSeconds ?? null,
      }),
      ...(dto.remaining !== undefined && { remaining: dto.remaining }),
      ...(dto.refill !== undefined && { refillAmount: dto.refill?.amount ?? null, refillInterval: dto.refill?.interval ?? null }),
      ...(dto.expiresAt !== undefined && { expiresAt: this.expiryFor(dto.expiresAt ?? undefined, undefined, false) }),
      ...(dto.enabled !== undefined && { enabled: dto.enabled }),
      ...(dto.rotationIntervalSeconds !== undefined && { rotationIntervalSeconds: dto.rotationIntervalSeconds }),
      ...(dto.meta !== undefined && { meta: dto.meta }),
    };
    if (Object.keys(changes).length > 0) {
      await this.audit.transaction(async (manager, record) => {
        await this.keys.update(id, changes, manager);
        record(keyEntry(actor, 'key.updated', id, { changes }));
      });
      await this.invalidation.keysChanged([id]);
    }
    return this.get(actor, id);
  }

  async revoke(actor: Principal, id: string, reason: string | undefined): Promise<ApiKeyResponseDto> {
    const key = await this.findVisible(actor, id);
    if (key.revokedAt) throw DomainError.conflict('Key is already revoked');
    await this.audit.transaction(async (manager, record) => {
      await this.keys.update(id, { revokedAt: this.clock.date(), revokedReason: reason ?? null }, manager);
      record(keyEntry(actor, 'key.revoked', id, { reason: reason ?? null }));
      await this.webhooks.enqueue(manager, { type: WebhookEventType.KEY_REVOKED, data: { keyId: id, ownerId: key.ownerId } });
    });
    await this.invalidation.keysChanged([id]);
    return this.get(actor, id);
  }

  async delete(actor: Principal, id: string): Promise<void> {
    const key = await this.findVisible(actor, id);
    await this.audit.transaction(async (manager, record) => {
      await this.keys.softDelete(id, manager);
      record(keyEntry(actor, 'key.deleted', id, { name: key.name, ownerId: key.ownerId }));
    });
    await this.invalidation.keysChanged([id]);
  }

  async usageOf(actor: Principal, id: string, query: UsageQueryDto): Promise<UsageResponseDto> {
    await this.findVisible(actor, id);
    return this.usage.series(id, query);
  }

  /** A new key's plaintext (for the caller, once) and what is stored of it. */
  mint(environment: string): { plaintext: string; material: Pick<ApiKeyEntity, 'hash' | 'hashAlgorithm' | 'start' | 'last4' | 'createdAt'> } {
    const plaintext = generateKey(this.config.keys.prefix, environment, this.config.keys.secretBytes);
    const display = parseKey(plaintext, this.config.keys.prefix)!;
    return {
      plaintext,
      material: { hash: this.hasher.hash(plaintext), hashAlgorithm: this.hasher.algorithm, start: display.start, last4: display.last4, createdAt: this.clock.date() },
    };
  }

  /** Owner-scoped unless the caller may see every key; someone else's key is a plain 404. */
  async findVisible(actor: Principal, id: string): Promise<ApiKeyEntity> {
    const key = isGranted(ALL_KEYS_PERMISSION, actor.permissions)
      ? await this.keys.findByIdForAdmin(id)
      : await this.keys.findOwnedById(actingUserId(actor), id);
    if (!key) throw DomainError.notFound('API key');
    return key;
  }

  /**
   * Resolves the expiry against KEY_DEFAULT_TTL / KEY_MAX_TTL. With `applyDefault` (creation),
   * no request means the default; an expiry past the maximum is refused, never silently capped.
   */
  private expiryFor(expiresAt: Date | undefined, ttlSeconds: number | undefined, applyDefault: boolean): Date | null {
    const { defaultTtlSeconds, maxTtlSeconds } = this.config.keys;
    const now = this.clock.now();
    let expiry = expiresAt?.getTime() ?? (ttlSeconds !== undefined ? now + ttlSeconds * 1000 : undefined);
    if (expiry === undefined && applyDefault) {
      const ttl = defaultTtlSeconds || maxTtlSeconds;
      expiry = ttl > 0 ? now + ttl * 1000 : undefined;
    }
    if (expiry === undefined) {
      if (maxTtlSeconds > 0) throw DomainError.badRequest(`Keys must expire within KEY_MAX_TTL (${maxTtlSeconds} seconds)`);
      return null;
    }
    if (expiry <= now) throw DomainError.badRequest('expiresAt must be in the future', [{ field: 'expiresAt', messages: ['must be in the future'] }]);
    if (maxTtlSeconds > 0 && expiry > now + maxTtlSeconds * 1000 + 1000) {
      throw DomainError.badRequest(`Expiry is past the maximum key lifetime of ${maxTtlSeconds} seconds (KEY_MAX_TTL)`, [
        { field: expiresAt ? 'expiresAt' : 'ttlSeconds', messages: [`must be within ${maxTtlSeconds} seconds from now`] },
      ]);
    }
    return new Date(expiry);
  }

  /** What an audit record says about a new key: its settings, never its hash. */
  private settingsOf(key: ApiKeyEntity): Record<string, unknown> {
    const { name, ownerId, environment, start, permissions, roles, ipAllowlist, rateLimit, remaining, refill, expiresAt, rotationIntervalSeconds, honeytoken } =
      this.toResponse(key);
    return { name, ownerId, environment, start, permissions, roles, ipAllowlist, rateLimit, remaining, refill, expiresAt, rotationIntervalSeconds, honeytoken };
  }

  toResponse(key: ApiKeyEntity): ApiKeyResponseDto {
    return {
      id: key.id,
      name: key.name,
      ownerId: key.ownerId,
      environment: key.environment,
      start: key.start,
      last4: key.last4,
      status: statusOf(key, this.clock.now()),
      permissions: key.permissions,
      roles: key.roles,
      ipAllowlist: key.ipAllowlist,
      rateLimit: key.rateLimit === null ? null : { limit: key.rateLimit, windowSeconds: key.rateLimitWindowSeconds ?? this.config.keys.rateLimit.windowSeconds },
      remaining: key.remaining,
      refill: key.refillAmount !== null && key.refillInterval !== null ? { amount: key.refillAmount, interval: key.refillInterval } : null,
      expiresAt: key.expiresAt,
      enabled: key.enabled,
      revokedAt: key.revokedAt,
      revokedReason: key.revokedReason,
      rotationIntervalSeconds: key.rotationIntervalSeconds,
      rotatedFromId: key.rotatedFromId,
      rotatedToId: key.rotatedToId,
      lastUsedAt: key.lastUsedAt,
      meta: key.meta,
      honeytoken: key.honeytoken,
      createdAt: key.createdAt,
      updatedAt: key.updatedAt,
    };
  }
}

function statusOf(key: ApiKeyEntity, now: number): KeyStatus {
  if (key.revokedAt) return 'revoked';
  if (key.expiresAt && key.expiresAt.getTime() <= now) return 'expired';
  return key.enabled ? 'active' : 'disabled';
}

function keyEntry(actor: Principal, action: string, keyId: string, details: Record<string, unknown>): AuditEntry {
  return { actor: actorOf(actor), action, target: { type: 'api_key', id: keyId }, details };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
