import { resolve } from 'node:path';
import { parseCidrList, type CidrRange } from '../common/net/cidr';
import { validateEnvironment, type EnvironmentVariables } from './environment';
import { resolveSecrets, type ServerSecrets } from './secrets';

/**
 * The validated, typed configuration, grouped by area. Built once at boot from the environment;
 * inject `AppConfig` instead of reading `process.env`.
 */
export class AppConfig {
  readonly production: boolean;
  readonly http: {
    host: string;
    port: number;
    trustProxy: boolean | number | string;
    bodyLimit: string;
    /** Milliseconds; slow clients are answered 408 and disconnected. */
    timeouts: { headersMs: number; requestMs: number; keepAliveMs: number };
    logLevel: EnvironmentVariables['LOG_LEVEL'];
  };
  readonly database: {
    /** Absent: embedded PGlite under `dataDir`. */
    url?: string;
    dataDir: string;
    poolSize: number;
    runMigrations: boolean;
  };
  readonly redis: { url?: string; keyPrefix: string };
  readonly keys: {
    enabled: boolean;
    prefix: string;
    defaultEnvironment: string;
    secretBytes: number;
    hashAlgorithm: EnvironmentVariables['KEY_HASH_ALGORITHM'];
    defaultTtlSeconds: number;
    maxTtlSeconds: number;
    rotationIntervalSeconds: number;
    storeSecretsServerSide: boolean;
    rotationGraceSeconds: number;
    /** Ascending. */
    expiryWarningDays: number[];
    staleKeyDays: number;
    allowedIpRanges: CidrRange[];
    cache: { maxEntries: number; ttlSeconds: number; staleIfErrorSeconds: number; negativeTtlSeconds: number };
    rateLimit: { limit: number; windowSeconds: number };
  };
  readonly jobs: {
    enabled: boolean;
    batchSize: number;
    /** Seconds between ticks, by job name. */
    intervals: Record<string, number>;
  };
  readonly usage: { flushIntervalMs: number; flushMaxBatch: number; retentionSeconds: number };
  readonly throttle: { limit: number; loginLimit: number; windowSeconds: number };
  readonly audit: {
    level: EnvironmentVariables['AUDIT_LEVEL'];
    flushIntervalMs: number;
    flushMaxBatch: number;
    /** 0 = forever. */
    retentionSeconds: number;
    retentionMinSeconds: number;
  };
  readonly auth: {
    tokenType: EnvironmentVariables['TOKEN_TYPE'];
    bcryptCost: number;
    accessTokenTtlSeconds: number;
    maxFailedLogins: number;
    lockoutSeconds: number;
    /** Used once, when the database has no users; without a password a random one is printed. */
    bootstrapAdmin: { email: string; password?: string };
  };
  readonly security: {
    /** Per-source throttle of failed verifications (unknown or malformed keys). */
    failedVerify: { limit: number; windowSeconds: number; blockSeconds: number };
    eventDedupeSeconds: number;
    loginBruteForce: { threshold: number; windowSeconds: number };
  };
  readonly webhooks: { dispatchIntervalMs: number; timeoutMs: number; retryBaseSeconds: number; maxAttempts: number };
  readonly secrets: ServerSecrets;

  constructor(env: EnvironmentVariables) {
    const dataDir = resolve(env.KEYWARD_DATA_DIR);
    this.production = env.NODE_ENV === 'production';
    this.http = {
      host: env.HOST,
      port: env.PORT,
      trustProxy: parseTrustProxy(env.TRUST_PROXY),
      bodyLimit: env.BODY_LIMIT,
      timeouts: { headersMs: env.HTTP_HEADERS_TIMEOUT_MS, requestMs: env.HTTP_REQUEST_TIMEOUT_MS, keepAliveMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS },
      logLevel: env.LOG_LEVEL,
    };
    if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS) {
      throw new Error('Invalid configuration: HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS');
    }
    this.database = {
      url: env.DATABASE_URL,
      dataDir,
      poolSize: env.DATABASE_POOL_SIZE,
      runMigrations: env.DATABASE_RUN_MIGRATIONS,
    };
    this.redis = { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX };
    const allowedIpRanges = parseCidrList(env.ALLOWED_IP_RANGES);
    if (!allowedIpRanges) throw new Error('Invalid configuration: ALLOWED_IP_RANGES must be a comma-separated list of CIDR ranges');
    if (env.KEY_MAX_TTL > 0 && env.KEY_DEFAULT_TTL > env.KEY_MAX_TTL) {
      throw new Error('Invalid configuration: KEY_DEFAULT_TTL must not exceed KEY_MAX_TTL');
    }
    if (this.production && env.BCRYPT_COST < 10) {
      throw new Error('Invalid configuration: BCRYPT_COST must be at least 10 when NODE_ENV=production');
    }
    this.keys = {
      enabled: env.KEYWARD_ENABLED,
      prefix: env.KEY_PREFIX,
      defaultEnvironment: env.KEY_DEFAULT_ENVIRONMENT,
      secretBytes: env.KEY_SECRET_BYTES,
      hashAlgorithm: env.KEY_HASH_ALGORITHM,
      defaultTtlSeconds: env.KEY_DEFAULT_TTL,
      maxTtlSeconds: env.KEY_MAX_TTL,
      rotationIntervalSeconds: env.KEY_ROTATION_INTERVAL,
      storeSecretsServerSide: env.STORE_SECRETS_SERVER_SIDE,
      rotationGraceSeconds: env.KEY_ROTATION_GRACE_PERIOD,
      expiryWarningDays: [...new Set(env.KEY_EXPIRY_WARNING_DAYS.split(',').filter(Boolean).map(Number))].filter((d) => d > 0).sort((a, b) => a - b),
      staleKeyDays: env.STALE_KEY_DAYS,
      allowedIpRanges,
      cache: {
        maxEntries: env.KEY_CACHE_MAX_ENTRIES,
        ttlSeconds: env.KEY_CACHE_TTL_SECONDS,
        staleIfErrorSeconds: env.KEY_CACHE_STALE_IF_ERROR_SECONDS,
        negativeTtlSeconds: env.KEY_NEGATIVE_CACHE_TTL_SECONDS,
      },
      rateLimit: { limit: env.RATE_LIMIT_DEFAULT, windowSeconds: env.RATE_LIMIT_WINDOW },
    };
    this.jobs = {
      enabled: env.JOBS_ENABLED,
      batchSize: env.JOB_BATCH_SIZE,
      intervals: {
        rotation: env.JOB_ROTATION_INTERVAL,
        expiry: env.JOB_EXPIRY_INTERVAL,
        'stale-keys': env.JOB_STALE_KEYS_INTERVAL,
        'credit-refill': env.JOB_CREDIT_REFILL_INTERVAL,
        retention: env.JOB_RETENTION_INTERVAL,
      },
    };
    this.usage = { flushIntervalMs: env.USAGE_FLUSH_INTERVAL_MS, flushMaxBatch: env.USAGE_FLUSH_MAX_BATCH, retentionSeconds: env.USAGE_RETENTION };
    this.throttle = { limit: env.THROTTLE_LIMIT, loginLimit: env.THROTTLE_LOGIN_LIMIT, windowSeconds: env.THROTTLE_WINDOW };
    if (env.AUDIT_RETENTION > 0 && env.AUDIT_RETENTION < env.AUDIT_RETENTION_MIN) {
      throw new Error('Invalid configuration: AUDIT_RETENTION must be 0 (forever) or at least AUDIT_RETENTION_MIN');
    }
    this.audit = {
      level: env.AUDIT_LEVEL,
      flushIntervalMs: env.AUDIT_FLUSH_INTERVAL_MS,
      flushMaxBatch: env.AUDIT_FLUSH_MAX_BATCH,
      retentionSeconds: env.AUDIT_RETENTION,
      retentionMinSeconds: env.AUDIT_RETENTION_MIN,
    };
    this.auth = {
      tokenType: env.TOKEN_TYPE,
      bcryptCost: env.BCRYPT_COST,
      accessTokenTtlSeconds: env.ACCESS_TOKEN_TTL,
      maxFailedLogins: env.LOGIN_MAX_FAILURES,
      lockoutSeconds: env.LOGIN_LOCKOUT_DURATION,
      bootstrapAdmin: {
        email: env.KEYWARD_BOOTSTRAP_ADMIN_EMAIL ?? 'admin@keyward.local',
        password: env.KEYWARD_BOOTSTRAP_ADMIN_PASSWORD,
      },
    };
    this.security = {
      failedVerify: { limit: env.FAILED_VERIFY_LIMIT, windowSeconds: env.FAILED_VERIFY_WINDOW, blockSeconds: env.FAILED_VERIFY_BLOCK },
      eventDedupeSeconds: env.SECURITY_EVENT_DEDUPE_WINDOW,
      loginBruteForce: { threshold: env.LOGIN_BRUTE_FORCE_THRESHOLD, windowSeconds: env.LOGIN_BRUTE_FORCE_WINDOW },
    };
    this.webhooks = {
      dispatchIntervalMs: env.WEBHOOK_DISPATCH_INTERVAL_MS,
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      retryBaseSeconds: env.WEBHOOK_RETRY_BASE,
      maxAttempts: env.WEBHOOK_MAX_ATTEMPTS,
    };
    this.secrets = resolveSecrets({ ...env, KEYWARD_DATA_DIR: dataDir });
  }

  /** The one place that reads the process environment. */
  static fromEnvironment(raw: Record<string, string | undefined> = process.env): AppConfig {
    return new AppConfig(validateEnvironment(raw));
  }
}

function parseTrustProxy(value: string): boolean | number | string {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}
