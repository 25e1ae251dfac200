import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { CursorPosition } from '../common/pagination/cursor';

/**
 * Key states as in ApiKeysService's statusOf, over live (not deleted) rows; `$1` is the instant the
 * report is computed at, so every figure of one overview agrees on what "now" is.
 */
const REVOKED = 'k.revoked_at IS NOT NULL';
const EXPIRED = 'k.revoked_at IS NULL AND k.expires_at <= $1';
const UNEXPIRED = 'k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > $1)';
const ACTIVE = `${UNEXPIRED} AND k.enabled`;
const DISABLED = `${UNEXPIRED} AND NOT k.enabled`;
/** Active keys whose last use (or creation, if never used) is before `$2`. */
const IDLE = `${ACTIVE} AND COALESCE(k.last_used_at, k.created_at) < $2`;
const NEVER_USED = 'k.revoked_at IS NULL AND k.last_used_at IS NULL';

export interface KeyCountsRow {
  environment: string;
  total: number;
  active: number;
  expired: number;
  revoked: number;
  disabled: number;
  honeytokens: number;
  never_used: number;
  idle: number;
}

export interface TopKeyRow {
  id: string;
  name: string;
  owner_id: string;
  environment: string;
  total: string;
  valid: string;
}

export interface KeySampleRow {
  id: string;
  name: string;
  owner_id: string;
  created_at: Date;
  last_used_at: Date | null;
}

export interface ExpiringKeyRow {
  id: string;
  name: string;
  environment: string;
  start: string;
  last4: string;
  expires_at: Date;
  /** expires_at to the microsecond, for the keyset cursor (a JS Date keeps only milliseconds). */
  expires_at_exact: string;
  owner_id: string;
  owner_email: string;
  owner_name: string;
}

/** The analytics SQL: a handful of aggregate scans, never one query per key. */
@Injectable()
export class AnalyticsQuery {
  constructor(private readonly dataSource: DataSource) {}

  /** Live keys counted per environment and state in one pass; decoys only in `honeytokens`. */
  keyCounts(now: Date, idleSince: Date): Promise<KeyCountsRow[]> {
    return this.dataSource.query(
      `SELECT k.environment,
              count(*) FILTER (WHERE NOT k.honeytoken)::int AS total,
              count(*) FILTER (WHERE NOT k.honeytoken AND ${ACTIVE})::int AS active,
              count(*) FILTER (WHERE NOT k.honeytoken AND ${EXPIRED})::int AS expired,
              count(*) FILTER (WHERE NOT k.honeytoken AND ${REVOKED})::int AS revoked,
              count(*) FILTER (WHERE NOT k.honeytoken AND ${DISABLED})::int AS disabled,
              count(*) FILTER (WHERE k.honeytoken)::int AS honeytokens,
              count(*) FILTER (WHERE NOT k.honeytoken AND ${NEVER_USED})::int AS never_used,
              count(*) FILTER (WHERE NOT k.honeytoken AND ${IDLE})::int AS idle
         FROM api_keys k
        WHERE k.deleted_at IS NULL
        GROUP BY k.environment`,
      [now.toISOString(), idleSince.toISOString()],
    );
  }

  /** Recorded outcomes in [from, to), deleted keys' included: those verifications did happen. */
  async outcomes(from: Date, to: Date): Promise<Array<{ outcome: string; count: number }>> {
    const rows: Array<{ outcome: string; count: string }> = await this.dataSource.query(
      `SELECT u.outcome, SUM(u.count)::bigint AS count
         FROM key_usage_hourly u JOIN api_keys k ON k.id = u.key_id
        WHERE u.bucket >= $1 AND u.bucket < $2 AND NOT k.honeytoken
        GROUP BY u.outcome`,
      [from.toISOString(), to.toISOString()],
    );
    return rows.map((row) => ({ outcome: row.outcome, count: Number(row.count) }));
  }

  /** Live keys with the most verifications in [from, to). */
  topKeys(from: Date, to: Date, limit: number): Promise<TopKeyRow[]> {
    return this.dataSource.query(
      `SELECT k.id, k.name, k.owner_id, k.environment, t.total, t.valid
         FROM (SELECT key_id, SUM(count)::bigint AS total,
                      COALESCE(SUM(count) FILTER (WHERE outcome = 'VALID'), 0)::bigint AS valid
                 FROM key_usage_hourly
                WHERE bucket >= $1 AND bucket < $2
                GROUP BY key_id) t
         JOIN api_keys k ON k.id = t.key_id
        WHERE k.deleted_at IS NULL AND NOT k.honeytoken
        ORDER BY t.total DESC, k.id
        LIMIT $3`,
      [from.toISOString(), to.toISOString(), limit],
    );
  }

  /** The oldest live, unrevoked keys never used. */
  neverUsedSample(limit: number): Promise<KeySampleRow[]> {
    return this.dataSource.query(
      `SELECT k.id, k.name, k.owner_id, k.created_at, k.last_used_at
         FROM api_keys k
        WHERE k.deleted_at IS NULL AND NOT k.honeytoken AND ${NEVER_USED}
        ORDER BY k.created_at, k.id
        LIMIT $1`,
      [limit],
    );
  }

  /** The longest-idle active keys. */
  idleSample(now: Date, idleSince: Date, limit: number): Promise<KeySampleRow[]> {
    return this.dataSource.query(
      `SELECT k.id, k.name, k.owner_id, k.created_at, k.last_used_at
         FROM api_keys k
        WHERE k.deleted_at IS NULL AND NOT k.honeytoken AND ${IDLE}
        ORDER BY COALESCE(k.last_used_at, k.created_at), k.id
        LIMIT $3`,
      [now.toISOString(), idleSince.toISOString(), limit],
    );
  }

  /**
   * Unrevoked live keys expiring in (now, until], soonest first, keyset-paged on (expires_at, id);
   * served by the partial index api_keys_expires_idx. Fetches `limit + 1` rows (see toPage).
   */
  expiring(now: Date, until: Date, limit: number, after: CursorPosition | undefined): Promise<ExpiringKeyRow[]> {
    const params: unknown[] = [now.toISOString(), until.toISOString(), limit + 1];
    let afterClause = '';
    if (after) {
      params.push(after.sort, after.id);
      afterClause = 'AND (k.expires_at, k.id) > ($4::timestamptz, $5::uuid)';
    }
    return this.dataSource.query(
      `SELECT k.id, k.name, k.environment, k.start, k.last4, k.expires_at,
              to_char(k.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS expires_at_exact,
              u.id AS owner_id, u.email AS owner_email, u.name AS owner_name
         FROM api_keys k JOIN users u ON u.id = k.owner_id
        WHERE k.revoked_at IS NULL AND k.deleted_at IS NULL AND NOT k.honeytoken
          AND k.expires_at > $1 AND k.expires_at <= $2 ${afterClause}
        ORDER BY k.expires_at, k.id
        LIMIT $3`,
      params,
    );
  }
}
