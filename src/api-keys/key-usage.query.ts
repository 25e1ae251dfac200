import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DomainError } from '../common/errors/domain-error';
import type { UsageQueryDto, UsageResponseDto } from './dto/api-key.dto';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const MAX_POINTS = 800;

/** Reads the hourly usage counters into a time series. */
@Injectable()
export class KeyUsageQuery {
  constructor(private readonly dataSource: DataSource) {}

  async series(keyId: string, query: UsageQueryDto): Promise<UsageResponseDto> {
    const step = query.granularity === 'day' ? DAY_MS : HOUR_MS;
    const to = query.to ?? new Date();
    const from = query.from ?? new Date(to.getTime() - (query.granularity === 'day' ? 30 * DAY_MS : DAY_MS));
    if (from >= to) throw DomainError.badRequest('from must be before to', [{ field: 'from', messages: ['must be before to'] }]);
    if ((to.getTime() - from.getTime()) / step > MAX_POINTS) {
      throw DomainError.badRequest(`At most ${MAX_POINTS} ${query.granularity}s per request; narrow the range`);
    }
    const rows: Array<{ time: Date; outcome: string; count: string }> = await this.dataSource.query(
      `SELECT date_trunc($2, bucket, 'UTC') AS time, outcome, SUM(count)::bigint AS count
         FROM key_usage_hourly
        WHERE key_id = $1 AND bucket >= date_trunc($2, $3::timestamptz, 'UTC') AND bucket < $4
        GROUP BY 1, 2 ORDER BY 1`,
      [keyId, query.granularity, from.toISOString(), to.toISOString()],
    );
    const points = new Map<string, { time: string; outcomes: Record<string, number>; total: number }>();
    for (const row of rows) {
      const time = new Date(row.time).toISOString();
      const point = points.get(time) ?? { time, outcomes: {}, total: 0 };
      point.outcomes[row.outcome] = Number(row.count);
      point.total += Number(row.count);
      points.set(time, point);
    }
    return { keyId, granularity: query.granularity, from: from.toISOString(), to: to.toISOString(), series: [...points.values()] };
  }
}
