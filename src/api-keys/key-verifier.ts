import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { DomainError } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { isIpAllowed, parseIp, type CidrRange } from '../common/net/cidr';
import { AppConfig } from '../config/app-config';
import { missingPermissions } from '../permissions/permission-evaluator';
import { evaluatePermissionQuery, parsePermissionQuery, PermissionQueryError, type PermissionQuery } from '../permissions/permission-query';
import { UsageRecorder } from '../usage/usage-recorder';
import { ApiKeysRepository } from './api-keys.repository';
import { KeyCache } from './key-cache';
import { parseKey } from './key-format';
import { KeyHasher } from './key-hasher';
import { KeyRateLimiter } from './key-rate-limiter';
import { KeySnapshotLoader } from './key-snapshot.loader';
import { VerifyCode, type FailureCode, type KeySnapshot, type VerifyInput, type VerifyResult } from './verification.types';

/**
 * The hot path. Every line here runs on each verification:
 * format/checksum → cache (database only on a miss) → revoked/disabled/expired/owner → IP →
 * permissions → rate limit → credits. The only awaits are the cache-miss load, the shared (Redis)
 * rate-limit counter, and the credit decrement of keys that have credits. Usage is buffered.
 */
@Injectable()
export class KeyVerifier {
  private readonly prefix: string;
  private readonly enabled: boolean;
  private readonly globalAllowlist: CidrRange[];
  private readonly inFlight = new Map<string, Promise<KeySnapshot | undefined>>();
  /** Callers repeat the same few queries: parse each once. */
  private readonly parsedQueries = new LRUCache<string, PermissionQuery>({ max: 1000 });

  constructor(
    config: AppConfig,
    private readonly hasher: KeyHasher,
    private readonly cache: KeyCache,
    private readonly loader: KeySnapshotLoader,
    private readonly rateLimiter: KeyRateLimiter,
    private readonly keys: ApiKeysRepository,
    private readonly usage: UsageRecorder,
  ) {
    this.prefix = config.keys.prefix;
    this.enabled = config.keys.enabled;
    this.globalAllowlist = config.keys.allowedIpRanges;
  }

  async verify(input: VerifyInput): Promise<VerifyResult> {
    const { key } = input;
    const query = input.permissionQuery === undefined ? undefined : this.parseQuery(input.permissionQuery);
    if (parseKey(key, this.prefix) === undefined) return { valid: false, code: VerifyCode.MALFORMED };
    if (!this.enabled) return { valid: false, code: VerifyCode.DISABLED };

    const now = Date.now();
    const digest = this.hasher.hash(key as string);
    const hash = digest.toString('hex');
    const snapshot = this.cache.fresh(hash, now) ?? (await this.lookup(key as string, digest, hash, now));
    if (!snapshot || snapshot.honeytoken) return { valid: false, code: VerifyCode.NOT_FOUND };

    const failure = this.check(snapshot, input, query, now);
    if (failure) return this.fail(snapshot, failure, now);

    let ratelimit;
    if (snapshot.rateLimit) {
      const pending = this.rateLimiter.consume(snapshot.id, snapshot.rateLimit.limit, snapshot.rateLimit.windowSeconds, now);
      const decision = pending instanceof Promise ? await pending : pending;
      ratelimit = { limit: decision.limit, remaining: decision.remaining, reset: decision.reset };
      if (!decision.allowed) return { ...this.fail(snapshot, VerifyCode.RATE_LIMITED, now), ratelimit };
    }

    let remaining: number | undefined;
    if (snapshot.hasCredits) {
      const left = await this.keys.consumeCredit(snapshot.id);
      if (left === undefined) return this.fail(snapshot, VerifyCode.USAGE_EXCEEDED, now);
      remaining = left ?? undefined;
    }

    this.usage.record(snapshot.id, VerifyCode.VALID, now, true);
    return {
      valid: true,
      keyId: snapshot.id,
      ownerId: snapshot.ownerId,
      name: snapshot.name,
      environment: snapshot.environment,
      permissions: snapshot.permissions,
      meta: snapshot.meta,
      expiresAt: snapshot.expiresAtIso,
      ...(ratelimit ? { ratelimit } : {}),
      ...(remaining === undefined ? {} : { remaining }),
    };
  }

  private check(key: KeySnapshot, input: VerifyInput, query: PermissionQuery | undefined, now: number): FailureCode | undefined {
    if (key.revoked) return VerifyCode.REVOKED;
    if (!key.enabled || !key.ownerActive || (key.ownerExpiresAt !== null && key.ownerExpiresAt <= now)) return VerifyCode.DISABLED;
    if (key.expiresAt !== null && key.expiresAt <= now) return VerifyCode.EXPIRED;
    if (this.globalAllowlist.length > 0 || key.ipAllowlist.length > 0) {
      const ip = input.ip === undefined ? undefined : parseIp(input.ip);
      if (!isIpAllowed(ip, this.globalAllowlist) || !isIpAllowed(ip, key.ipAllowlist)) return VerifyCode.FORBIDDEN_IP;
    }
    if (input.permissions && input.permissions.length > 0 && missingPermissions(input.permissions, key.permissions).length > 0) {
      return VerifyCode.INSUFFICIENT_PERMISSIONS;
    }
    if (query && !evaluatePermissionQuery(query, key.permissions)) return VerifyCode.INSUFFICIENT_PERMISSIONS;
    return undefined;
  }

  private parseQuery(text: string): PermissionQuery {
    let query = this.parsedQueries.get(text);
    if (!query) {
      try {
        query = parsePermissionQuery(text);
      } catch (error) {
        if (!(error instanceof PermissionQueryError)) throw error;
        throw DomainError.badRequest(`permissionQuery: ${error.message}`, [{ field: 'permissionQuery', messages: [error.message] }]);
      }
      this.parsedQueries.set(text, query);
    }
    return query;
  }

  private fail(key: KeySnapshot, code: FailureCode, now: number): VerifyResult {
    this.usage.record(key.id, code, now, false);
    return { valid: false, code };
  }

  /** Cache miss: one database lookup per hash at a time; stale data only while the database is down. */
  private async lookup(plaintext: string, digest: Buffer, hash: string, now: number): Promise<KeySnapshot | undefined> {
    if (this.cache.isKnownMissing(hash)) return undefined;
    let pending = this.inFlight.get(hash);
    if (!pending) {
      pending = this.loader.load(plaintext, digest).finally(() => this.inFlight.delete(hash));
      this.inFlight.set(hash, pending);
    }
    try {
      const snapshot = await pending;
      if (snapshot) this.cache.store(hash, snapshot, now);
      else this.cache.storeMissing(hash);
      return snapshot;
    } catch {
      const stale = this.cache.stale(hash, now);
      if (stale) return stale;
      // Fail closed: an unknown key is never valid just because the database cannot say.
      throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'Key store unavailable; cannot verify this key right now');
    }
  }
}
