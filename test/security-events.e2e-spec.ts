import { randomUUID } from 'node:crypto';
import { RedisService } from '../src/redis/redis.service';
import { FailedVerifyThrottle } from '../src/security/failed-verify-throttle';
import { SecurityEventType, type SecurityEventInput } from '../src/security/security-event.types';
import { SecurityEventsService } from '../src/security/security-events.service';
import { bearer, createUser, loginAsAdmin, type CreatedUser } from './support/auth-helpers';
import { startIsolatedApp, type TestApp } from './support/test-app';

const ROUTE = '/api/v1/admin/security-events';
const FAILED_VERIFY_LIMIT = 5;

interface EventItem {
  id: string;
  createdAt: string;
  type: string;
  severity: string;
  sourceIp: string | null;
  userId: string | null;
  keyId: string | null;
  details: Record<string, unknown>;
}

/** Shared (Redis) counting answers asynchronously: wait for its effect. */
async function eventually(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('security events (e2e)', () => {
  let t: TestApp;
  let events: SecurityEventsService;
  let auditor: CreatedUser;
  const userId = randomUUID();
  const keyId = randomUUID();

  const list = async (query: Record<string, string | number> = {}): Promise<{ items: EventItem[]; nextCursor: string | null }> => {
    const res = await t.http().get(ROUTE).query(query).set(bearer(auditor.token)).expect(200);
    return res.body;
  };

  beforeAll(async () => {
    t = await startIsolatedApp({ FAILED_VERIFY_LIMIT: String(FAILED_VERIFY_LIMIT) });
    events = t.app.get(SecurityEventsService);
    auditor = await createUser(t.http, await loginAsAdmin(t.http), ['auditor']);
    events.raise({ type: SecurityEventType.KEY_INVALID_BURST, sourceIp: '203.0.113.10', details: { failures: 50, windowSeconds: 60 } });
    events.raise({ type: SecurityEventType.KEY_DISALLOWED_IP, sourceIp: '203.0.113.11', keyId });
    events.raise({ type: SecurityEventType.KEY_HONEYTOKEN_USED, sourceIp: '203.0.113.12', keyId });
    events.raise({ type: SecurityEventType.LOGIN_BRUTE_FORCE, sourceIp: '198.51.100.20', details: { failures: 10, windowSeconds: 300 } });
    events.raise({ type: SecurityEventType.USER_LOCKED, sourceIp: '198.51.100.20', userId });
    await events.flush();
  });
  afterAll(() => t.close());

  it('lists events newest first with every field', async () => {
    const { items, nextCursor } = await list();
    expect(nextCursor).toBeNull();
    expect(items.map((e) => e.type)).toEqual(
      expect.arrayContaining(['key.invalid_burst', 'key.disallowed_ip', 'key.honeytoken_used', 'login.brute_force', 'user.locked']),
    );
    const times = items.map((e) => Date.parse(e.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(items.find((e) => e.type === 'key.invalid_burst')).toEqual({
      id: expect.any(String),
      createdAt: expect.any(String),
      type: 'key.invalid_burst',
      severity: 'warning',
      sourceIp: '203.0.113.10',
      userId: null,
      keyId: null,
      details: { failures: 50, windowSeconds: 60 },
    });
  });

  it('filters by exact type and by type prefix', async () => {
    const exact = await list({ type: 'key.honeytoken_used' });
    expect(exact.items).toHaveLength(1);
    expect(exact.items[0]).toMatchObject({ severity: 'critical', keyId, sourceIp: '203.0.113.12' });
    const prefix = await list({ type: 'key.' });
    expect(prefix.items.length).toBeGreaterThanOrEqual(3);
    expect(prefix.items.every((e) => e.type.startsWith('key.'))).toBe(true);
  });

  it('filters by severity, ip, user and key', async () => {
    const critical = await list({ severity: 'critical' });
    expect(critical.items.map((e) => e.type)).toContain('key.honeytoken_used');
    expect(critical.items.every((e) => e.severity === 'critical')).toBe(true);
    expect((await list({ ip: '198.51.100.20' })).items.map((e) => e.type).sort()).toEqual(['login.brute_force', 'user.locked']);
    expect((await list({ userId })).items.map((e) => e.type)).toEqual(['user.locked']);
    expect((await list({ keyId })).items.map((e) => e.type).sort()).toEqual(['key.disallowed_ip', 'key.honeytoken_used']);
    expect((await list({ ip: '198.51.100.20', type: 'user.' })).items).toHaveLength(1);
  });

  it('filters by time range', async () => {
    const all = (await list({ ip: '198.51.100.20' })).items;
    const oldest = Math.min(...all.map((e) => Date.parse(e.createdAt)));
    const newest = Math.max(...all.map((e) => Date.parse(e.createdAt)));
    const iso = (ms: number) => new Date(ms).toISOString();
    expect((await list({ ip: '198.51.100.20', from: iso(oldest), to: iso(newest + 1) })).items).toHaveLength(2);
    expect((await list({ ip: '198.51.100.20', from: iso(newest + 1) })).items).toHaveLength(0);
    expect((await list({ ip: '198.51.100.20', to: iso(oldest) })).items).toHaveLength(0);
  });

  it('pages through every event with the cursor, without repeats', async () => {
    const everything = (await list()).items.map((e) => e.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: EventItem[]; nextCursor: string | null } = await list(cursor ? { limit: 2, cursor } : { limit: 2 });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(everything);
  });

  it('records a repeated event once per dedupe window', async () => {
    const repeated: SecurityEventInput = { type: SecurityEventType.KEY_DISALLOWED_IP, sourceIp: '192.0.2.77', keyId };
    events.raise(repeated);
    events.raise(repeated);
    events.raise({ ...repeated, keyId: randomUUID() });
    await events.flush();
    expect((await list({ ip: '192.0.2.77' })).items).toHaveLength(2);
  });

  it('records one burst event when the failed-verify throttle blocks a source', async () => {
    const throttle = t.app.get(FailedVerifyThrottle);
    const now = Date.now();
    for (let i = 0; i < FAILED_VERIFY_LIMIT - 1; i++) throttle.recordFailure('192.0.2.200', now);
    throttle.recordFailure('192.0.2.201', now);
    throttle.recordFailure('192.0.2.200', now);
    await eventually(() => throttle.blockedFor('192.0.2.200', Date.now()) !== undefined);
    expect(throttle.blockedFor('192.0.2.201', Date.now())).toBeUndefined();
    await events.flush();
    const { items } = await list({ ip: '192.0.2.200' });
    expect(items).toEqual([expect.objectContaining({ type: 'key.invalid_burst', details: { failures: FAILED_VERIFY_LIMIT, windowSeconds: 60 } })]);
  });

  it('refuses bad input with the standard error shape', async () => {
    const admin = await loginAsAdmin(t.http);
    const forged = Buffer.from(JSON.stringify(['not-a-time', 'not-a-uuid'])).toString('base64url');
    for (const query of [
      { from: 'yesterday' },
      { to: '2025-13-45' },
      { unknown: '1' },
      { limit: 1000 },
      { limit: 0 },
      { cursor: '!!!' },
      { cursor: forged },
      { type: 'KEY' },
      { type: 'key..x' },
      { severity: 'fatal' },
      { ip: 'not-an-ip' },
      { userId: 'not-a-uuid' },
      { keyId: '1' },
      { from: '2030-01-02T00:00:00Z', to: '2030-01-01T00:00:00Z' },
    ]) {
      const res = await t.http().get(ROUTE).query(query).set(bearer(admin));
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      expect(res.body).toEqual(
        expect.objectContaining({ statusCode: 400, error: 'Bad Request', message: expect.any(String), requestId: expect.any(String) }),
      );
    }
  });

  it('requires security:read', async () => {
    const admin = await loginAsAdmin(t.http);
    const user = await createUser(t.http, admin, ['user']);
    await t.http().get(ROUTE).expect(401);
    const res = await t.http().get(ROUTE).set(bearer(user.token)).expect(403);
    expect(res.body).toMatchObject({ statusCode: 403, requestId: expect.any(String) });
    await t.http().get(ROUTE).set(bearer(auditor.token)).expect(200);
    await t.http().get(ROUTE).set(bearer(admin)).expect(200);
  });

  // Registered only where Redis is configured (the PostgreSQL + Redis run in CI), so no run skips it.
  const withRedis = process.env.REDIS_URL ? it : (_name: string, _test: () => Promise<void>) => undefined;
  withRedis('shares failed-verify counts between instances through Redis', async () => {
    const a = t.app.get(FailedVerifyThrottle);
    const raisedByB: SecurityEventInput[] = [];
    // A second instance's throttle: its own local maps, the same Redis.
    const b = new FailedVerifyThrottle(t.config, t.app.get(RedisService), {
      raise: (event: SecurityEventInput) => void raisedByB.push(event),
    } as Pick<SecurityEventsService, 'raise'> as SecurityEventsService);
    const source = '192.0.2.250';
    const now = Date.now();
    // One connection runs the commands in order: b's failure is counted after a's.
    for (let i = 0; i < FAILED_VERIFY_LIMIT - 1; i++) a.recordFailure(source, now);
    b.recordFailure(source, now);
    await eventually(() => b.blockedFor(source, Date.now()) !== undefined);
    expect(raisedByB).toEqual([expect.objectContaining({ type: 'key.invalid_burst', sourceIp: source })]);
    // A hears of the block at its next failure from that source.
    expect(a.blockedFor(source, Date.now())).toBeUndefined();
    a.recordFailure(source, Date.now());
    await eventually(() => a.blockedFor(source, Date.now()) !== undefined);
    expect(a.blockedFor(source, Date.now())).toBeGreaterThan(0);
    await events.flush();
    expect((await list({ ip: source })).items).toHaveLength(0); // only b (the stub) raised
  });
});
