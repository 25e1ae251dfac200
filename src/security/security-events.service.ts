import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error';
import { decodeKeysetCursor, toPage, type Page } from '../common/pagination/cursor';
import { DataSource } from 'typeorm';
import { Clock } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { Metrics } from '../metrics/metrics.service';
import { securityWebhookEvent } from '../webhooks/webhook-events';
import { WebhookOutbox } from '../webhooks/webhook-outbox';
import { pruneExpiring } from './bounded-map';
import type { ListSecurityEventsQueryDto, SecurityEventResponseDto } from './dto/security-event.dto';
import type { SecurityEventEntity } from './entities/security-event.entity';
import { SEVERITY_OF, type SecurityEventInput } from './security-event.types';
import { SecurityEventsRepository, type NewSecurityEvent } from './security-events.repository';

const FLUSH_INTERVAL_MS = 1000;
const FLUSH_MAX_BATCH = 500;
/** Events kept while the database refuses writes; beyond this the oldest are dropped (and logged). */
const MAX_PENDING_EVENTS = 10_000;
const MAX_DEDUPE_ENTRIES = 100_000;
const MAX_DETAILS_BYTES = 4096;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Records security events without slowing the request that noticed them: `raise` only buffers;
 * batches are written every second, sooner once FLUSH_MAX_BATCH events wait, and on shutdown. A
 * failed write keeps its events for the next flush. The same (type, source IP, user, key) is
 * recorded at most once per SECURITY_EVENT_DEDUPE_WINDOW on this instance, so a flood of attempts
 * yields one event, not thousands; the `keyward_security_events_total` metric counts every
 * occurrence, so the flood's size stays visible.
 */
@Injectable()
export class SecurityEventsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SecurityEventsService.name);
  private readonly dedupeMs: number;
  /** Dedupe key → end of its window; insertion order is expiry order (entries are re-inserted). */
  private readonly recent = new Map<string, number>();
  private pending: NewSecurityEvent[] = [];
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;

  constructor(
    private readonly repository: SecurityEventsRepository,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly dataSource: DataSource,
    private readonly webhooks: WebhookOutbox,
    config: AppConfig,
  ) {
    this.dedupeMs = config.security.eventDedupeSeconds * 1000;
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Synchronous and never throws: safe to call from any request path without awaiting. */
  raise(event: SecurityEventInput): void {
    this.metrics.securityEvent(event.type);
    const now = this.clock.now();
    const dedupeKey = `${event.type}|${event.sourceIp ?? ''}|${event.userId ?? ''}|${event.keyId ?? ''}`;
    const until = this.recent.get(dedupeKey);
    if (until !== undefined && until > now) return;
    if (until === undefined && this.recent.size >= MAX_DEDUPE_ENTRIES) pruneExpiring(this.recent, MAX_DEDUPE_ENTRIES, now, (end) => end);
    this.recent.delete(dedupeKey);
    this.recent.set(dedupeKey, now + this.dedupeMs);

    const row: NewSecurityEvent = {
      time: new Date(now),
      type: event.type,
      severity: event.severity ?? SEVERITY_OF[event.type],
      sourceIp: event.sourceIp === undefined ? null : event.sourceIp.replace(/\0/g, '').slice(0, 64),
      userId: asUuid(event.userId),
      keyId: asUuid(event.keyId),
      details: serializeDetails(event.details),
    };
    const message = `Security event ${row.type} (${row.severity}) ip=${row.sourceIp ?? '-'} user=${row.userId ?? '-'} key=${row.keyId ?? '-'}`;
    if (row.severity === 'critical') this.logger.error(message);
    else if (row.severity === 'warning') this.logger.warn(message);
    else this.logger.log(message);
    this.pending.push(row);
    if (this.pending.length >= FLUSH_MAX_BATCH) void this.flush();
  }

  /** Writes everything buffered so far; concurrent callers share one flush. */
  flush(): Promise<void> {
    this.flushing ??= this.writeBatch().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  async list(query: ListSecurityEventsQueryDto): Promise<Page<SecurityEventResponseDto>> {
    if (query.from && query.to && query.from >= query.to) {
      throw DomainError.badRequest('from must be before to', [{ field: 'from', messages: ['must be before to'] }]);
    }
    const rows = await this.repository.list({
      type: query.type,
      severity: query.severity,
      sourceIp: query.ip,
      userId: query.userId,
      keyId: query.keyId,
      from: query.from,
      to: query.to,
      after: query.cursor ? decodeKeysetCursor(query.cursor) : undefined,
      limit: query.limit,
    });
    return toPage(rows, query.limit, (e) => ({ sort: e.createdAt.toISOString(), id: e.id }), toResponse);
  }

  private async writeBatch(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      // Stored and queued for webhooks together: an event is announced exactly when it is recorded.
      await this.dataSource.transaction(async (manager) => {
        await this.repository.insertMany(batch, manager);
        for (const event of batch) {
          await this.webhooks.enqueue(manager, {
            type: securityWebhookEvent(event.type),
            data: { type: event.type, severity: event.severity, sourceIp: event.sourceIp, userId: event.userId, keyId: event.keyId, time: event.time },
          });
        }
      });
    } catch (error) {
      this.pending = batch.concat(this.pending);
      const excess = this.pending.length - MAX_PENDING_EVENTS;
      if (excess > 0) {
        this.pending.splice(0, excess);
        this.logger.error(`Dropped ${excess} security events: the database has refused writes for too long`);
      }
      this.logger.warn(`Security event flush failed, will retry: ${(error as Error).message}`);
    }
  }
}

function toResponse(e: SecurityEventEntity): SecurityEventResponseDto {
  return {
    id: e.id,
    createdAt: e.createdAt,
    type: e.type,
    severity: e.severity,
    sourceIp: e.sourceIp,
    userId: e.userId,
    keyId: e.keyId,
    details: e.details,
  };
}

/** Ids are uuid columns: anything else would fail the whole batch, so it is left out. */
function asUuid(value: string | undefined): string | null {
  return value !== undefined && UUID.test(value) ? value : null;
}

/** jsonb refuses NUL characters, and an odd or oversized value must not fail the whole batch. */
function serializeDetails(details: Record<string, unknown> | undefined): string {
  if (!details) return '{}';
  try {
    const json = JSON.stringify(details, (_key, value: unknown) => (typeof value === 'string' ? value.replace(/\0/g, '') : value));
    return Buffer.byteLength(json) <= MAX_DETAILS_BYTES ? json : '{"truncated":true}';
  } catch {
    return '{"unserializable":true}';
  }
}
