import { createHash } from 'node:crypto';
import type { Principal } from '../common/auth/principal';

export const AUDIT_ACTOR_TYPES = ['user', 'key', 'system', 'anonymous'] as const;
export type AuditActorType = (typeof AUDIT_ACTOR_TYPES)[number];
export const AUDIT_OUTCOMES = ['success', 'failure'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export interface AuditActor {
  type: AuditActorType;
  id: string | null;
  name: string | null;
}

export const SYSTEM_ACTOR: AuditActor = { type: 'system', id: null, name: 'keyward' };
export const ANONYMOUS_ACTOR: AuditActor = { type: 'anonymous', id: null, name: null };

export function actorOf(principal: Principal | undefined): AuditActor {
  if (!principal) return ANONYMOUS_ACTOR;
  return principal.type === 'user'
    ? { type: 'user', id: principal.id, name: principal.email }
    : { type: 'key', id: principal.id, name: principal.name };
}

/** What a caller records; time, sequence, hashes and request facts are filled in by the writer. */
export interface AuditEntry {
  actor: AuditActor;
  action: string;
  target?: { type: string; id: string | null };
  outcome?: AuditOutcome;
  /** Never a secret: no key, password, token or hash. */
  details?: Record<string, unknown>;
  /** Taken from the current request when not given (batched records capture them up front). */
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
}

/** A stored record, as hashed and as returned. */
export interface AuditRecord {
  seq: number;
  time: string;
  actorType: AuditActorType;
  actorId: string | null;
  actorName: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  outcome: AuditOutcome;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
}

export const GENESIS_HASH = Buffer.alloc(32);

/**
 * `sha256(prev_hash || canonical(record))`. The canonical form is a JSON array in a fixed field
 * order with object keys sorted, so it survives the jsonb round trip (which reorders keys).
 */
export function chainHash(prevHash: Buffer, record: AuditRecord): Buffer {
  const canonical = JSON.stringify([...scalarFieldsOf(record), sortKeys(record.details)]);
  return createHash('sha256').update(prevHash).update(canonical).digest();
}

/** Every field but `details`, in chain (and column) order. */
export function scalarFieldsOf(record: AuditRecord): unknown[] {
  return [
    record.seq,
    record.time,
    record.actorType,
    record.actorId,
    record.actorName,
    record.action,
    record.targetType,
    record.targetId,
    record.outcome,
    record.ip,
    record.userAgent,
    record.requestId,
  ];
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}
