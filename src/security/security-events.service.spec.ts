import type { DataSource } from 'typeorm';
import type { WebhookOutbox } from '../webhooks/webhook-outbox';
import { Logger } from '@nestjs/common';
import { Clock } from '../common/time/clock';
import type { AppConfig } from '../config/app-config';
import type { Metrics } from '../metrics/metrics.service';
import { pruneExpiring } from './bounded-map';
import { SecurityEventType } from './security-event.types';
import type { NewSecurityEvent, SecurityEventsRepository } from './security-events.repository';
import { SecurityEventsService } from './security-events.service';

class FakeClock extends Clock {
  time = 1_700_000_000_000;
  now(): number {
    return this.time;
  }
}

describe('SecurityEventsService (buffering and dedupe)', () => {
  let clock: FakeClock;
  let written: NewSecurityEvent[];
  let failWrites: boolean;
  let counted: string[];
  let service: SecurityEventsService;

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(() => {
    clock = new FakeClock();
    written = [];
    failWrites = false;
    counted = [];
    const repository = {
      insertMany: async (rows: NewSecurityEvent[]) => {
        if (failWrites) throw new Error('database down');
        written.push(...rows);
      },
    } as Pick<SecurityEventsRepository, 'insertMany'> as SecurityEventsRepository;
    const metrics = { securityEvent: (type: string) => void counted.push(type) } as Pick<Metrics, 'securityEvent'> as Metrics;
    const config = { security: { eventDedupeSeconds: 60 } } as Pick<AppConfig, 'security'> as AppConfig;
    const dataSource = { transaction: (work: (manager: unknown) => Promise<void>) => work({}) } as unknown as DataSource;
    const webhooks = { enqueue: async () => undefined } as unknown as WebhookOutbox;
    service = new SecurityEventsService(repository, clock, metrics, dataSource, webhooks, config);
  });

  it('records the same event once per dedupe window, and counts every occurrence', async () => {
    const event = { type: SecurityEventType.KEY_HONEYTOKEN_USED, sourceIp: '203.0.113.7' };
    service.raise(event);
    clock.time += 59_999;
    service.raise(event);
    service.raise({ ...event, sourceIp: '203.0.113.8' });
    clock.time += 1;
    service.raise(event);
    await service.flush();
    expect(written.map((row) => [row.sourceIp, row.severity])).toEqual([
      ['203.0.113.7', 'critical'],
      ['203.0.113.8', 'critical'],
      ['203.0.113.7', 'critical'],
    ]);
    expect(counted).toHaveLength(4);
  });

  it('keeps a failed batch for the next flush', async () => {
    failWrites = true;
    service.raise({ type: SecurityEventType.USER_LOCKED, userId: '6f1c1f4e-8f0e-4c59-9a53-2b1a1d1f0c11' });
    await service.flush();
    expect(written).toHaveLength(0);
    failWrites = false;
    service.raise({ type: SecurityEventType.LOGIN_BRUTE_FORCE, sourceIp: '198.51.100.1' });
    await service.flush();
    expect(written.map((row) => row.type)).toEqual(['user.locked', 'login.brute_force']);
  });

  it('never lets a malformed field fail a batch', async () => {
    service.raise({
      type: SecurityEventType.KEY_DISALLOWED_IP,
      sourceIp: `x\0${'9'.repeat(100)}`,
      keyId: 'not-a-uuid',
      details: { note: 'a\0b', big: 'z'.repeat(5000) },
    });
    service.raise({ type: SecurityEventType.KEY_DISALLOWED_IP, sourceIp: '192.0.2.1', details: { note: 'a\0b' } });
    await service.flush();
    expect(written[0]).toMatchObject({ sourceIp: `x${'9'.repeat(63)}`, keyId: null, details: '{"truncated":true}' });
    expect(written[1].details).toBe('{"note":"ab"}');
  });
});

describe('pruneExpiring', () => {
  it('drops expired entries first, then the oldest, down to 90% of the bound', () => {
    const map = new Map<string, number>();
    for (let i = 0; i < 10; i++) map.set(`k${i}`, i < 3 ? 100 : 1000);
    pruneExpiring(map, 5, 500, (until) => until);
    expect([...map.keys()]).toEqual(['k6', 'k7', 'k8', 'k9']);
  });
});
