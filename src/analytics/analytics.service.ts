import { Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { VerifyCode } from '../api-keys/verification.types';
import { decodeCursor, invalidCursor, toPage, type CursorPosition, type Page } from '../common/pagination/cursor';
import { AnalyticsQuery, type KeySampleRow } from './analytics.query';
import type { ExpiringKeyDto, ExpiringReportQueryDto } from './dto/expiring-report.dto';
import type { AnalyticsOverviewDto, KeySampleDto, OverviewQueryDto } from './dto/overview.dto';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** The exact timestamp form AnalyticsQuery.expiring puts in cursors. */
const EXACT_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** Fleet-wide usage figures and reports for admins; read-only. */
@Injectable()
export class AnalyticsService {
  constructor(private readonly query: AnalyticsQuery) {}

  async overview(options: OverviewQueryDto): Promise<AnalyticsOverviewDto> {
    const now = new Date();
    // Counters are hourly: start at the bucket holding `now - windowHours`, as the per-key usage series does.
    const from = new Date(Math.floor((now.getTime() - options.windowHours * HOUR_MS) / HOUR_MS) * HOUR_MS);
    const idleSince = new Date(now.getTime() - options.unusedDays * DAY_MS);
    const [counts, outcomes, topKeys, neverUsed, idle] = await Promise.all([
      this.query.keyCounts(now, idleSince),
      this.query.outcomes(from, now),
      this.query.topKeys(from, now, options.top),
      this.query.neverUsedSample(options.top),
      this.query.idleSample(now, idleSince, options.top),
    ]);

    const keysByState = { active: 0, expired: 0, revoked: 0, disabled: 0 };
    const keysByEnvironment: Record<string, number> = {};
    let honeytokens = 0;
    let neverUsedCount = 0;
    let idleCount = 0;
    for (const row of counts) {
      keysByState.active += row.active;
      keysByState.expired += row.expired;
      keysByState.revoked += row.revoked;
      keysByState.disabled += row.disabled;
      if (row.total > 0) keysByEnvironment[row.environment] = row.total;
      honeytokens += row.honeytokens;
      neverUsedCount += row.never_used;
      idleCount += row.idle;
    }

    // Every outcome present, zero included, so dashboards see a stable shape.
    const byOutcome: Record<string, number> = Object.fromEntries(Object.values(VerifyCode).map((code) => [code, 0]));
    let total = 0;
    for (const { outcome, count } of outcomes) {
      byOutcome[outcome] = count;
      total += count;
    }

    return {
      generatedAt: now.toISOString(),
      keysByState,
      keysByEnvironment,
      honeytokens,
      verifications: { window: { from: from.toISOString(), to: now.toISOString() }, total, byOutcome },
      topKeys: topKeys.map((row) => ({
        keyId: row.id,
        name: row.name,
        ownerId: row.owner_id,
        environment: row.environment,
        total: Number(row.total),
        valid: Number(row.valid),
      })),
      neverUsed: { count: neverUsedCount, sample: neverUsed.map(toSample) },
      unused: { days: options.unusedDays, count: idleCount, sample: idle.map(toSample) },
    };
  }

  async expiring(options: ExpiringReportQueryDto): Promise<Page<ExpiringKeyDto>> {
    const now = new Date();
    const until = new Date(now.getTime() + options.withinDays * DAY_MS);
    const after = options.cursor === undefined ? undefined : expiringCursor(options.cursor);
    const rows = await this.query.expiring(now, until, options.limit, after);
    return toPage(
      rows,
      options.limit,
      (row) => ({ sort: row.expires_at_exact, id: row.id }),
      (row) => {
        const expiresAt = new Date(row.expires_at);
        return {
          id: row.id,
          name: row.name,
          environment: row.environment,
          start: row.start,
          last4: row.last4,
          expiresAt,
          daysLeft: Math.floor((expiresAt.getTime() - now.getTime()) / DAY_MS),
          owner: { id: row.owner_id, email: row.owner_email, name: row.owner_name },
        };
      },
    );
  }
}

function toSample(row: KeySampleRow): KeySampleDto {
  return {
    id: row.id,
    name: row.name,
    ownerId: row.owner_id,
    createdAt: new Date(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at),
  };
}

/** Decodes a cursor and checks its values, so a forged one is a 400 rather than a failed SQL cast. */
function expiringCursor(cursor: string): CursorPosition {
  const position = decodeCursor(cursor);
  if (!isExactTimestamp(position.sort) || !isUUID(position.id)) {
    throw invalidCursor();
  }
  return position;
}

function isExactTimestamp(text: string): boolean {
  if (!EXACT_TIMESTAMP.test(text)) return false;
  const ms = Date.parse(text);
  // Date.parse rolls impossible dates over (Feb 30 → Mar 2) where PostgreSQL would refuse them.
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 23) === text.slice(0, 23);
}
