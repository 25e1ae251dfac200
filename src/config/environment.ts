import { Transform, plainToInstance } from 'class-transformer';
import {
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';
import { parseDurationSeconds } from './duration';

const toBoolean = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return value;
};
const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
const toDuration = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? (parseDurationSeconds(value) ?? value) : value;

export const HASH_ALGORITHMS = ['sha256', 'sha384', 'sha512'] as const;
export const AUDIT_LEVELS = ['basic', 'detailed', 'verbose'] as const;
export const TOKEN_TYPES = ['jwt', 'opaque'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Every environment variable Keyward reads, with its default. Durations accept seconds or a unit
 * suffix (s, m, h, d). This class is the only place that knows variable names.
 */
export class EnvironmentVariables {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Transform(toInt) @IsInt() @Min(0) @Max(65535)
  PORT = 3000;

  @IsString() @MaxLength(255)
  HOST = '0.0.0.0';

  /** `false`, `true`, a hop count, or a comma-separated list of trusted proxy addresses/CIDRs. */
  @IsString() @MaxLength(1000) @Matches(/^(true|false|\d{1,2}|[0-9a-fA-F.:/, ]+)$/, {
    message: 'TRUST_PROXY must be true, false, a hop count or a list of addresses/CIDRs',
  })
  TRUST_PROXY = 'false';

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'info';

  @IsString() @Matches(/^\d{1,6}(b|kb|mb)$/i, { message: 'BODY_LIMIT must look like 100kb' })
  BODY_LIMIT = '100kb';

  /** Slow clients: time to send the request headers, then the whole request (body included), in ms. */
  @Transform(toInt) @IsInt() @Min(100) @Max(600_000)
  HTTP_HEADERS_TIMEOUT_MS = 20_000;

  @Transform(toInt) @IsInt() @Min(100) @Max(600_000)
  HTTP_REQUEST_TIMEOUT_MS = 30_000;

  /** An idle keep-alive connection is closed after this (keep it above a load balancer's idle timeout). */
  @Transform(toInt) @IsInt() @Min(100) @Max(600_000)
  HTTP_KEEP_ALIVE_TIMEOUT_MS = 5_000;

  @Transform(toBoolean) @IsBoolean()
  KEYWARD_ENABLED = true;

  @IsOptional() @IsString() @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;

  @Transform(toInt) @IsInt() @Min(1) @Max(200)
  DATABASE_POOL_SIZE = 20;

  @Transform(toBoolean) @IsBoolean()
  DATABASE_RUN_MIGRATIONS = true;

  @IsString() @MinLength(1) @MaxLength(1000)
  KEYWARD_DATA_DIR = './data';

  @IsOptional() @IsString() @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// URL' })
  REDIS_URL?: string;

  /** Namespace for every Redis key and channel, so deployments can share one Redis. */
  @IsString() @Matches(/^[A-Za-z0-9:_.-]{1,64}$/, { message: 'REDIS_KEY_PREFIX must be 1-64 characters of A-Z a-z 0-9 : _ . -' })
  REDIS_KEY_PREFIX = 'keyward:';

  @IsString() @Matches(/^[a-z][a-z0-9]{0,11}$/, { message: 'KEY_PREFIX must be 1-12 lowercase letters/digits starting with a letter' })
  KEY_PREFIX = 'kw';

  @IsString() @Matches(/^[a-z][a-z0-9]{0,15}$/, { message: 'KEY_DEFAULT_ENVIRONMENT must be 1-16 lowercase letters/digits' })
  KEY_DEFAULT_ENVIRONMENT = 'live';

  @Transform(toInt) @IsInt() @Min(16) @Max(64)
  KEY_SECRET_BYTES = 32;

  @IsIn(HASH_ALGORITHMS)
  KEY_HASH_ALGORITHM: (typeof HASH_ALGORITHMS)[number] = 'sha256';

  /** Seconds; 0 = keys do not expire unless asked to. */
  @Transform(toDuration) @IsInt({ message: 'KEY_DEFAULT_TTL must be a duration like 90d' }) @Min(0)
  KEY_DEFAULT_TTL = 90 * 86400;

  /** Seconds; 0 = no upper bound. */
  @Transform(toDuration) @IsInt({ message: 'KEY_MAX_TTL must be a duration like 365d' }) @Min(0)
  KEY_MAX_TTL = 365 * 86400;

  @Transform(toDuration) @IsInt({ message: 'KEY_ROTATION_INTERVAL must be a duration like 30d' }) @Min(0)
  KEY_ROTATION_INTERVAL = 0;

  @Transform(toBoolean) @IsBoolean()
  STORE_SECRETS_SERVER_SIDE = false;

  /** Default grace period of a roll and of scheduled rotations: how long the predecessor keeps working. */
  @Transform(toDuration) @IsInt({ message: 'KEY_ROTATION_GRACE_PERIOD must be a duration like 24h' }) @Min(0) @Max(30 * 86400)
  KEY_ROTATION_GRACE_PERIOD = 86400;

  /** Days before expiry at which `key.expiring` is recorded, comma-separated. */
  @IsString() @Matches(/^(\d{1,3}(,\d{1,3}){0,9})?$/, { message: 'KEY_EXPIRY_WARNING_DAYS must be a comma-separated list of day counts like 30,7,1' })
  KEY_EXPIRY_WARNING_DAYS = '30,7,1';

  /** Days; the stale-key reaper disables active keys unused for this long. 0 = off. */
  @Transform(toInt) @IsInt() @Min(0) @Max(3650)
  STALE_KEY_DAYS = 0;

  /** Run the scheduled jobs on this instance's timers (they can always be run through the admin API). */
  @Transform(toBoolean) @IsBoolean()
  JOBS_ENABLED = true;

  @Transform(toDuration) @IsInt({ message: 'JOB_ROTATION_INTERVAL must be a duration like 5m' }) @Min(1)
  JOB_ROTATION_INTERVAL = 300;

  @Transform(toDuration) @IsInt({ message: 'JOB_EXPIRY_INTERVAL must be a duration like 5m' }) @Min(1)
  JOB_EXPIRY_INTERVAL = 300;

  @Transform(toDuration) @IsInt({ message: 'JOB_STALE_KEYS_INTERVAL must be a duration like 1h' }) @Min(1)
  JOB_STALE_KEYS_INTERVAL = 3600;

  @Transform(toDuration) @IsInt({ message: 'JOB_CREDIT_REFILL_INTERVAL must be a duration like 1m' }) @Min(1)
  JOB_CREDIT_REFILL_INTERVAL = 60;

  @Transform(toDuration) @IsInt({ message: 'JOB_RETENTION_INTERVAL must be a duration like 1h' }) @Min(1)
  JOB_RETENTION_INTERVAL = 3600;

  /** Keys a job handles per batch (each key in its own transaction within it). */
  @Transform(toInt) @IsInt() @Min(1) @Max(10_000)
  JOB_BATCH_SIZE = 500;

  @IsString() @MaxLength(10000)
  ALLOWED_IP_RANGES = '';

  @IsIn(TOKEN_TYPES)
  TOKEN_TYPE: (typeof TOKEN_TYPES)[number] = 'jwt';

  @IsIn(AUDIT_LEVELS)
  AUDIT_LEVEL: (typeof AUDIT_LEVELS)[number] = 'detailed';

  @Transform(toInt) @IsInt() @Min(100) @Max(600_000)
  AUDIT_FLUSH_INTERVAL_MS = 1000;

  @Transform(toInt) @IsInt() @Min(1) @Max(10_000)
  AUDIT_FLUSH_MAX_BATCH = 1000;

  /** Seconds; 0 = keep audit records forever. */
  @Transform(toDuration) @IsInt({ message: 'AUDIT_RETENTION must be a duration like 365d' }) @Min(0)
  AUDIT_RETENTION = 365 * 86400;

  /** Retention never removes records younger than this, whatever AUDIT_RETENTION says. */
  @Transform(toDuration) @IsInt({ message: 'AUDIT_RETENTION_MIN must be a duration like 30d' }) @Min(86400)
  AUDIT_RETENTION_MIN = 30 * 86400;

  /** Seconds; 0 = keep hourly usage counters forever. */
  @Transform(toDuration) @IsInt({ message: 'USAGE_RETENTION must be a duration like 400d' }) @Min(0)
  USAGE_RETENTION = 400 * 86400;

  @Transform(toInt) @IsInt() @Min(0)
  RATE_LIMIT_DEFAULT = 1000;

  @Transform(toDuration) @IsInt({ message: 'RATE_LIMIT_WINDOW must be a duration like 60s' }) @Min(1)
  RATE_LIMIT_WINDOW = 60;

  @Transform(toInt) @IsInt() @Min(1)
  THROTTLE_LIMIT = 600;

  @Transform(toInt) @IsInt() @Min(1)
  THROTTLE_LOGIN_LIMIT = 10;

  @Transform(toDuration) @IsInt({ message: 'THROTTLE_WINDOW must be a duration like 60s' }) @Min(1)
  THROTTLE_WINDOW = 60;

  @Transform(toInt) @IsInt() @Min(0) @Max(10_000_000)
  KEY_CACHE_MAX_ENTRIES = 200_000;

  @Transform(toDuration) @IsInt({ message: 'KEY_CACHE_TTL_SECONDS must be a duration like 30s' }) @Min(0)
  KEY_CACHE_TTL_SECONDS = 30;

  /**
   * Availability vs immediacy while the database is unreachable: a key cached within the last
   * KEY_CACHE_TTL_SECONDS + this keeps verifying from its cached copy; any other key gets 503.
   * 0 = every key the database cannot confirm gets 503.
   */
  @Transform(toDuration) @IsInt({ message: 'KEY_CACHE_STALE_IF_ERROR_SECONDS must be a duration like 60s' }) @Min(0)
  KEY_CACHE_STALE_IF_ERROR_SECONDS = 60;

  @Transform(toDuration) @IsInt({ message: 'KEY_NEGATIVE_CACHE_TTL_SECONDS must be a duration like 5s' }) @Min(0)
  KEY_NEGATIVE_CACHE_TTL_SECONDS = 5;

  @Transform(toInt) @IsInt() @Min(100) @Max(600_000)
  USAGE_FLUSH_INTERVAL_MS = 2000;

  @Transform(toInt) @IsInt() @Min(1) @Max(100_000)
  USAGE_FLUSH_MAX_BATCH = 5000;

  @Transform(toInt) @IsInt() @Min(4) @Max(15)
  BCRYPT_COST = 12;

  @Transform(toDuration) @IsInt({ message: 'ACCESS_TOKEN_TTL must be a duration like 15m' }) @Min(60) @Max(86400)
  ACCESS_TOKEN_TTL = 900;

  @Transform(toInt) @IsInt() @Min(1) @Max(100)
  LOGIN_MAX_FAILURES = 5;

  @Transform(toDuration) @IsInt({ message: 'LOGIN_LOCKOUT_DURATION must be a duration like 15m' }) @Min(1)
  LOGIN_LOCKOUT_DURATION = 900;

  /** Failed verifications (unknown or malformed keys) one source may make per window before a cool-down. */
  @Transform(toInt) @IsInt() @Min(1) @Max(1_000_000)
  FAILED_VERIFY_LIMIT = 50;

  @Transform(toDuration) @IsInt({ message: 'FAILED_VERIFY_WINDOW must be a duration like 60s' }) @Min(1) @Max(86400)
  FAILED_VERIFY_WINDOW = 60;

  @Transform(toDuration) @IsInt({ message: 'FAILED_VERIFY_BLOCK must be a duration like 5m' }) @Min(1) @Max(86400)
  FAILED_VERIFY_BLOCK = 300;

  /** The same security event (type, source, user, key) is recorded at most once per this window. */
  @Transform(toDuration) @IsInt({ message: 'SECURITY_EVENT_DEDUPE_WINDOW must be a duration like 60s' }) @Min(1) @Max(86400)
  SECURITY_EVENT_DEDUPE_WINDOW = 60;

  /** Failed logins from one IP within LOGIN_BRUTE_FORCE_WINDOW that raise a `login.brute_force` event. */
  @Transform(toInt) @IsInt() @Min(1) @Max(1_000_000)
  LOGIN_BRUTE_FORCE_THRESHOLD = 10;

  @Transform(toDuration) @IsInt({ message: 'LOGIN_BRUTE_FORCE_WINDOW must be a duration like 5m' }) @Min(1) @Max(86400)
  LOGIN_BRUTE_FORCE_WINDOW = 300;

  /** How often the webhook dispatcher looks for due deliveries. */
  @Transform(toInt) @IsInt() @Min(100) @Max(60_000)
  WEBHOOK_DISPATCH_INTERVAL_MS = 1000;

  /** Per delivery attempt, response included. */
  @Transform(toInt) @IsInt() @Min(100) @Max(60_000)
  WEBHOOK_TIMEOUT_MS = 5000;

  /** First retry delay; each further retry doubles it, up to one hour. */
  @Transform(toDuration) @IsInt({ message: 'WEBHOOK_RETRY_BASE must be a duration like 10s' }) @Min(1) @Max(3600)
  WEBHOOK_RETRY_BASE = 10;

  /** Attempts per delivery, the first included, before it is marked failed. */
  @Transform(toInt) @IsInt() @Min(1) @Max(20)
  WEBHOOK_MAX_ATTEMPTS = 8;

  @IsOptional() @IsEmail({}, { message: 'KEYWARD_BOOTSTRAP_ADMIN_EMAIL must be an email address' }) @MaxLength(254)
  KEYWARD_BOOTSTRAP_ADMIN_EMAIL?: string;

  @IsOptional() @IsString() @MinLength(12) @MaxLength(128)
  KEYWARD_BOOTSTRAP_ADMIN_PASSWORD?: string;

  /** Secrets: required in production, otherwise generated once into the data dir. */
  @IsOptional() @IsString() @MinLength(32, { message: 'KEY_HASH_PEPPER must be at least 32 characters' }) @MaxLength(1024)
  KEY_HASH_PEPPER?: string;

  @IsOptional() @IsString() @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' }) @MaxLength(1024)
  JWT_SECRET?: string;

  @IsOptional() @IsString() @Matches(/^[0-9a-fA-F]{64}$/, { message: 'SECRETS_ENCRYPTION_KEY must be 64 hex characters (32 bytes)' })
  SECRETS_ENCRYPTION_KEY?: string;
}

const TYPE_CHECKS = new Set(['isInt', 'isBoolean', 'isIn', 'isString']);
const VARIABLE_NAMES = new Set(Object.keys(new EnvironmentVariables()));

/** Reads and validates the raw environment; throws one line naming the first bad variable. */
export function validateEnvironment(raw: Record<string, string | undefined>): EnvironmentVariables {
  const defined = Object.fromEntries(
    Object.entries(raw).filter(([name, value]) => VARIABLE_NAMES.has(name) && value !== undefined && value !== ''),
  );
  const env = plainToInstance(EnvironmentVariables, defined);
  const errors = validateSync(env);
  if (errors.length > 0) {
    const { property, constraints = {} } = errors[0];
    // A wrong type says more than a failed bound on the same value.
    const typeCheck = Object.keys(constraints).find((name) => TYPE_CHECKS.has(name));
    const message = constraints[typeCheck ?? Object.keys(constraints)[0]] ?? 'is invalid';
    throw new Error(`Invalid configuration: ${message.startsWith(property) ? message : `${property} ${message}`}`);
  }
  return env;
}
