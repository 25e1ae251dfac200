import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { performance } from 'node:perf_hooks';
import { actorOf } from '../audit/audit-record';
import { AuditBatcher } from '../audit/audit-batcher';
import { DomainError } from '../common/errors/domain-error';
import { ErrorCode } from '../common/errors/error-code';
import { currentRequest } from '../common/http/request-context';
import { Clock } from '../common/time/clock';
import { isIpAllowed, parseIp, type CidrRange } from '../common/net/cidr';
import { AppConfig } from '../config/app-config';
import { Metrics } from '../metrics/metrics.service';
import { missingPermissions } from '../permissions/permission-evaluator';
import { evaluatePermissionQuery, parsePermissionQuery, PermissionQueryError, type PermissionQuery } from '../permissions/permission-query';
import { FailedVerifyThrottle } from '../security/failed-verify-throttle';
import { SecurityEventType } from '../security/security-event.types';
import { SecurityEventsService } from '../security/security-events.service';
import { UsageRecorder } from '../usage/usage-recorder';
import { WebhookEventType } from '../webhooks/webhook-events';
import { WebhookOutbox } from '../webhooks/webhook-outbox';
import { ApiKeysRepository } from './api-keys.repository';
import { KeyCache } from './key-cache';
import { parseKey } from './key-format';
import { KeyHasher } from './key-hasher';
import { KeyRateLimiter } from './key-rate-limiter';
import { KeySnapshotLoader } from './key-snapshot.loader';
import { VerifyCode, type FailureCode, type KeySnapshot, type VerifyInput, type VerifyPurpose, type VerifyResult } from './verification.types';

/**
 * The hot path. Every line here runs on each verification:
 * source throttle → format/checksum → cache (database only on a miss) → revoked/disabled/expired/
 * owner → IP → permissions → rate limit → credits. The only awaits are the cache-miss load, the
 * shared (Redis) rate-limit counter, and the credit decrement of keys that have credits. Usage,
 * audit records, security events and failure counts are queued, never awaited.
 */
/** `key.credits_low` fires once, when a key's balance reaches this. */
const CREDITS_LOW_AT = 10;

@Injectable()
export class KeyVerifier {
  private readonly prefix: string;
  private readonly enabled: boolean;
  private readonly globalAllowlist: CidrRange[];
  /** AUDIT_LEVEL: detailed records failures, verbose every attempt. */
  private readonly auditFailures: boolean;
  private readonly auditSuccesses: boolean;
  /** Cache-miss reads under way, by hash, with the cache version they were started at. */
  private readonly inFlight = new Map<string, { version: number; load: Promise<KeySnapshot | undefined> }>();
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
    private readonly metrics: Metrics,
    private readonly audit: AuditBatcher,
    private readonly securityEvents: SecurityEventsService,
    private readonly sourceThrottle: FailedVerifyThrottle,
    private readonly clock: Clock,
    private readonly webhooks: WebhookOutbox,
  ) {
    this.prefix = config.keys.prefix;
    this.enabled = config.keys.enabled;
    this.globalAllowlist = config.keys.allowedIpRanges;
    this.auditFailures = config.audit.level !== 'basic';
    this.auditSuccesses = config.audit.level === 'verbose';
  }

  /**
   * `input.ip` is the client the verification is for (forward-auth: the gateway's client; verify:
   * the `ip` the caller passes, else the caller itself); failures are throttled per that source.
   * `purpose: 'authentication'` (a key as a caller's credential) audits failures only: a success
   * makes the key the actor of whatever the request then records.
   */
  async verify(input: VerifyInput, purpose: VerifyPurpose = 'verification'): Promise<VerifyResult> {
    const started = performance.now();
    const now = this.clock.now();
    const source = input.ip ?? currentRequest()?.ip;
    const blockedSeconds = this.sourceThrottle.blockedFor(source, now);
    if (blockedSeconds !== undefined) {
      this.metrics.rateLimited('source');
      throw new DomainError(ErrorCode.RATE_LIMITED, 'Too many failed verifications from this address; try again later', undefined, {
        'Retry-After': String(blockedSeconds),
      });
    }
    const { key } = input;
    const query = input.permissionQuery === undefined ? undefined : this.parseQuery(input.permissionQuery);
    if (parseKey(key, this.prefix) === undefined) return this.unknownKey(VerifyCode.MALFORMED, source, started, now);
    if (!this.enabled) return this.finish({ valid: false, code: VerifyCode.DISABLED }, undefined, source, started);

    const digest = this.hasher.hash(key as string);
    const hash = digest.toString('hex');
    let snapshot = this.cache.fresh(hash, now);
    if (snapshot) {
      this.metrics.cacheLookup('hit');
      // Failures are left to the reload at the TTL, which has the stale-if-error fallback.
      if (this.cache.claimRefresh(hash, now)) this.load(key as string, digest, hash, now).catch(() => undefined);
    } else {
      snapshot = await this.lookup(key as string, digest, hash, now);
    }
    if (!snapshot) return this.unknownKey(VerifyCode.NOT_FOUND, source, started, now);
    if (snapshot.honeytoken) {
      this.securityEvents.raise({ type: SecurityEventType.KEY_HONEYTOKEN_USED, sourceIp: source, keyId: snapshot.id, userId: snapshot.ownerId });
      // Indistinguishable from an unknown key to the caller, and not counted towards a block.
      return this.finish({ valid: false, code: VerifyCode.NOT_FOUND }, snapshot.id, source, started);
    }

    const failure = this.check(snapshot, input, query, now);
    if (failure) {
      if (failure === VerifyCode.FORBIDDEN_IP) {
        this.securityEvents.raise({ type: SecurityEventType.KEY_DISALLOWED_IP, sourceIp: source, keyId: snapshot.id, userId: snapshot.ownerId });
      }
      return this.fail(snapshot, failure, source, started, now);
    }

    let ratelimit;
    if (snapshot.rateLimit) {
      const pending = this.rateLimiter.consume(snapshot.id, snapshot.rateLimit.limit, snapshot.rateLimit.windowSeconds, now);
      const decision = pending instanceof Promise ? await pending : pending;
      ratelimit = { limit: decision.limit, remaining: decision.remaining, reset: decision.reset };
      if (!decision.allowed) {
        this.metrics.rateLimited('key');
        return { ...this.fail(snapshot, VerifyCode.RATE_LIMITED, source, started, now), ratelimit };
      }
    }

    let remaining: number | undefined;
    if (snapshot.hasCredits) {
      const left = await this.keys.consumeCredit(snapshot.id);
      if (left === undefined) return this.fail(snapshot, VerifyCode.USAGE_EXCEEDED, source, started, now);
      remaining = left ?? undefined;
      if (left === CREDITS_LOW_AT) void this.webhooks.enqueueDetached({ type: WebhookEventType.KEY_CREDITS_LOW, data: { keyId: snapshot.id, ownerId: snapshot.ownerId, remaining: left } });
    }

    this.usage.record(snapshot.id, VerifyCode.VALID, now, true);
    return this.finish(
      {
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
      },
      snapshot.id,
      source,
      started,
      this.auditSuccesses && purpose === 'verification',
    );
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

  private fail(key: KeySnapshot, code: FailureCode, source: string | undefined, started: number, now: number): VerifyResult {
    this.usage.record(key.id, code, now, false);
    return this.finish({ valid: false, code }, key.id, source, started);
  }

  /** Guessing: counted towards this source's block. */
  private unknownKey(code: VerifyCode.MALFORMED | VerifyCode.NOT_FOUND, source: string | undefined, started: number, now: number): VerifyResult {
    this.sourceThrottle.recordFailure(source, now);
    return this.finish({ valid: false, code }, undefined, source, started);
  }

  /** Every answer leaves here: the outcome is measured and, per AUDIT_LEVEL, queued for the audit log. */
  private finish(
    result: VerifyResult,
    keyId: string | undefined,
    source: string | undefined,
    started: number,
    audited = result.valid ? this.auditSuccesses : this.auditFailures,
  ): VerifyResult {
    const code = result.valid ? VerifyCode.VALID : result.code;
    this.metrics.verification(code, (performance.now() - started) / 1000);
    if (audited) {
      this.audit.enqueue({
        actor: actorOf(currentRequest()?.principal),
        action: result.valid ? 'key.verified' : 'key.verify_failed',
        target: { type: 'api_key', id: keyId ?? null },
        outcome: result.valid ? 'success' : 'failure',
        details: { code, ...(source === undefined ? {} : { source }) },
      });
    }
    return result;
  }

  /** Cache miss: stale data only while the database is down. */
  private async lookup(plaintext: string, digest: Buffer, hash: string, now: number): Promise<KeySnapshot | undefined> {
    if (this.cache.isKnownMissing(hash)) return undefined;
    this.metrics.cacheLookup('miss');
    try {
      return await this.load(plaintext, digest, hash, now);
    } catch {
      const stale = this.cache.stale(hash, now);
      if (stale) {
        this.metrics.cacheLookup('stale');
        return stale;
      }
      // Fail closed: an unknown key is never valid just because the database cannot say.
      throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'Key store unavailable; cannot verify this key right now');
    }
  }

  /**
   * One database read per hash at a time, kept in the cache. A read started before a cache eviction
   * (a revocation, say) may predate the change behind it, so later verifications do not share it
   * and the cache does not keep it.
   */
  private async load(plaintext: string, digest: Buffer, hash: string, now: number): Promise<KeySnapshot | undefined> {
    const version = this.cache.version();
    let flight = this.inFlight.get(hash);
    if (!flight || flight.version !== version) {
      const load: Promise<KeySnapshot | undefined> = this.loader.load(plaintext, digest).finally(() => {
        if (this.inFlight.get(hash)?.load === load) this.inFlight.delete(hash);
      });
      flight = { version, load };
      this.inFlight.set(hash, flight);
    }
    const snapshot = await flight.load;
    if (snapshot) this.cache.store(hash, snapshot, now, flight.version);
    else this.cache.storeMissing(hash);
    return snapshot;
  }
}
