import type { CidrRange } from '../common/net/cidr';

export enum VerifyCode {
  VALID = 'VALID',
  MALFORMED = 'MALFORMED',
  NOT_FOUND = 'NOT_FOUND',
  EXPIRED = 'EXPIRED',
  REVOKED = 'REVOKED',
  DISABLED = 'DISABLED',
  FORBIDDEN_IP = 'FORBIDDEN_IP',
  INSUFFICIENT_PERMISSIONS = 'INSUFFICIENT_PERMISSIONS',
  RATE_LIMITED = 'RATE_LIMITED',
  USAGE_EXCEEDED = 'USAGE_EXCEEDED',
}

export type FailureCode = Exclude<VerifyCode, VerifyCode.VALID>;

/** A key checked for a caller (verify, forward-auth), or a key presented as the caller's own credential. */
export type VerifyPurpose = 'verification' | 'authentication';

/** Everything the verifier needs about a key, resolved once per cache load (owner included). */
export interface KeySnapshot {
  id: string;
  ownerId: string;
  name: string;
  environment: string;
  /** The key's permissions (direct + roles) intersected with its owner's current ones. */
  permissions: string[];
  meta: Record<string, unknown>;
  expiresAt: number | null;
  expiresAtIso: string | null;
  ownerExpiresAt: number | null;
  enabled: boolean;
  ownerActive: boolean;
  /** Revoked or deleted. */
  revoked: boolean;
  honeytoken: boolean;
  ipAllowlist: CidrRange[];
  /** Null: no per-key limit. */
  rateLimit: { limit: number; windowSeconds: number } | null;
  hasCredits: boolean;
}

export interface RateLimitState {
  limit: number;
  remaining: number;
  /** Unix time (ms) when the current window ends. */
  reset: number;
}

export interface VerifyInput {
  key: unknown;
  permissions?: readonly string[];
  /** `a AND (b OR c)`; a syntax error is a 400. */
  permissionQuery?: string;
  /** Client address as text; checked against the global and the key's allowlist. */
  ip?: string;
}

export type VerifyResult =
  | {
      valid: true;
      keyId: string;
      ownerId: string;
      name: string;
      environment: string;
      permissions: string[];
      meta: Record<string, unknown>;
      expiresAt: string | null;
      ratelimit?: RateLimitState;
      remaining?: number;
    }
  | { valid: false; code: FailureCode; keyId?: string; ratelimit?: RateLimitState };
