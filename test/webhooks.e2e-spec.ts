import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { WebhookDeliveriesRepository } from '../src/webhooks/webhook-deliveries.repository';
import { WebhookDispatcher } from '../src/webhooks/webhook-dispatcher';
import { WebhookOutbox } from '../src/webhooks/webhook-outbox';
import { bearer, createUser, loginAsAdmin } from './support/auth-helpers';
import { createKey } from './support/keys-helpers';
import { startIsolatedApp, type TestApp } from './support/test-app';
import { TestClock } from './support/test-clock';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: { id: string; type: string; createdAt: string; data: Record<string, unknown> };
}

interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  payload: Received['json'];
}

/** A webhook receiver on 127.0.0.1: records every request and answers 200 unless told otherwise per path. */
class Receiver {
  readonly requests: Received[] = [];
  readonly statusByPath = new Map<string, number>();
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      this.requests.push({ path: req.url ?? '', headers: req.headers, body, json: JSON.parse(body) as Received['json'] });
      res.statusCode = this.statusByPath.get(req.url ?? '') ?? 200;
      res.end('ok');
    });
  });

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  /** Requests to `path` carrying this test's marker (other code may queue events of its own). */
  at(path: string, marker: string): Received[] {
    return this.requests.filter((r) => r.path === path && r.json.data.marker === marker);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('webhooks (e2e)', () => {
  const clock = new TestClock();
  const receiver = new Receiver();
  let t: TestApp;
  let admin: string;
  let db: DataSource;
  let outbox: WebhookOutbox;
  let dispatcher: WebhookDispatcher;

  beforeAll(async () => {
    await receiver.start();
    // The timer is slowed right down: each test drives dispatch itself.
    t = await startIsolatedApp({ WEBHOOK_RETRY_BASE: '1s', WEBHOOK_MAX_ATTEMPTS: '3', WEBHOOK_DISPATCH_INTERVAL_MS: '60000' }, clock);
    admin = await loginAsAdmin(t.http);
    db = t.app.get(DataSource);
    outbox = t.app.get(WebhookOutbox);
    dispatcher = t.app.get(WebhookDispatcher);
  });
  afterAll(async () => {
    await t.close();
    await receiver.stop();
  });

  async function createEndpoint(path: string, eventTypes: string[]): Promise<{ id: string; secret: string }> {
    const res = await t.http().post('/api/v1/admin/webhooks').set(bearer(admin)).send({ url: receiver.url(path), eventTypes }).expect(201);
    return { id: res.body.id, secret: res.body.secret };
  }

  async function deliveries(webhookId: string, query = ''): Promise<Delivery[]> {
    return (await t.http().get(`/api/v1/admin/webhooks/${webhookId}/deliveries${query}`).set(bearer(admin)).expect(200)).body.items;
  }

  function event(type: string) {
    const marker = randomUUID();
    return { marker, event: { type, data: { keyId: randomUUID(), marker } } };
  }

  describe('endpoints', () => {
    it('shows the signing secret once, on create, and stores it sealed', async () => {
      const res = await t.http()
        .post('/api/v1/admin/webhooks')
        .set(bearer(admin))
        .send({ url: receiver.url('/created'), eventTypes: ['key.revoked', 'security.*'], description: 'on-call' })
        .expect(201);
      const { id, secret } = res.body as { id: string; secret: string };
      expect(res.body).toMatchObject({ url: receiver.url('/created'), eventTypes: ['key.revoked', 'security.*'], description: 'on-call', enabled: true });
      expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);

      const one = await t.http().get(`/api/v1/admin/webhooks/${id}`).set(bearer(admin)).expect(200);
      expect(one.body.id).toBe(id);
      expect(one.body).not.toHaveProperty('secret');
      const list = await t.http().get('/api/v1/admin/webhooks?limit=100').set(bearer(admin)).expect(200);
      expect(list.body.items.map((w: { id: string }) => w.id)).toContain(id);
      expect(JSON.stringify([one.body, list.body])).not.toContain(secret);

      const [row] = (await db.query(`SELECT * FROM webhooks WHERE id = $1`, [id])) as Array<Record<string, unknown>>;
      expect((row.secret_ciphertext as Buffer).equals(Buffer.from(secret))).toBe(false);
      expect(Object.values(row).some((value) => String(value).includes(secret) || (Buffer.isBuffer(value) && value.toString('utf8').includes(secret)))).toBe(false);

      const audit = await t.http().get('/api/v1/admin/audit?action=webhook.&limit=100').set(bearer(admin)).expect(200);
      const created = audit.body.items.find((r: { action: string; target: { id: string } }) => r.action === 'webhook.created' && r.target.id === id);
      expect(created).toMatchObject({ target: { type: 'webhook', id }, details: { urlOrigin: new URL(receiver.url('/')).origin } });
      expect(JSON.stringify(audit.body)).not.toContain(secret);
    });

    it('pages through endpoints with a cursor', async () => {
      for (let i = 0; i < 3; i++) await createEndpoint(`/page-${i}`, ['key.expired']);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
        const res = await t.http().get(`/api/v1/admin/webhooks${query}`).set(bearer(admin)).expect(200);
        expect(res.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.items.map((w: { id: string }) => w.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.length).toBeGreaterThanOrEqual(3);
    });

    it('updates and soft-deletes an endpoint, auditing each change', async () => {
      const { id } = await createEndpoint('/lifecycle', ['key.created']);
      // An empty change changes nothing and records nothing.
      await t.http().patch(`/api/v1/admin/webhooks/${id}`).set(bearer(admin)).send({}).expect(200);
      const patched = await t.http()
        .patch(`/api/v1/admin/webhooks/${id}`)
        .set(bearer(admin))
        .send({ eventTypes: ['*'], description: 'everything', enabled: false })
        .expect(200);
      expect(patched.body).toMatchObject({ id, eventTypes: ['*'], description: 'everything', enabled: false });

      await t.http().delete(`/api/v1/admin/webhooks/${id}`).set(bearer(admin)).expect(204);
      const gone = await t.http().get(`/api/v1/admin/webhooks/${id}`).set(bearer(admin)).expect(404);
      expect(gone.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Webhook not found', code: 'NOT_FOUND', requestId: expect.any(String) });
      await t.http().delete(`/api/v1/admin/webhooks/${id}`).set(bearer(admin)).expect(404);
      await t.http().get(`/api/v1/admin/webhooks/${id}/deliveries`).set(bearer(admin)).expect(404);

      const audit = await t.http().get(`/api/v1/admin/audit?targetType=webhook&targetId=${id}`).set(bearer(admin)).expect(200);
      expect(audit.body.items.map((r: { action: string }) => r.action).reverse()).toEqual(['webhook.created', 'webhook.updated', 'webhook.deleted']);
      expect(audit.body.items[1].details).toEqual({ changes: { eventTypes: ['*'], description: 'everything', enabled: false } });
    });
  });

  describe('delivery', () => {
    it('delivers a queued event with a signature the secret verifies', async () => {
      const { id, secret } = await createEndpoint('/signed', ['key.*']);
      const { marker, event: keyCreated } = event('key.created');
      await outbox.enqueueDetached(keyCreated);
      expect((await dispatcher.dispatchDue()).delivered).toBeGreaterThanOrEqual(1);

      const [request] = receiver.at('/signed', marker);
      expect(request.headers).toMatchObject({
        'content-type': 'application/json',
        'user-agent': 'Keyward-Webhooks/1',
        'x-keyward-event': 'key.created',
      });
      expect(request.json).toEqual({ id: expect.any(String), type: 'key.created', createdAt: expect.any(String), data: keyCreated.data });

      const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(request.headers['x-keyward-signature'] as string);
      expect(match).not.toBeNull();
      const [, timestamp, signature] = match!;
      const expected = createHmac('sha256', secret).update(`${timestamp}.${request.body}`).digest();
      expect(timingSafeEqual(Buffer.from(signature, 'hex'), expected)).toBe(true);
      expect(Math.abs(Date.now() / 1000 - Number(timestamp))).toBeLessThan(300);

      const [logged] = await deliveries(id);
      expect(logged).toMatchObject({
        id: request.headers['x-keyward-delivery'],
        eventId: request.json.id,
        eventType: 'key.created',
        status: 'delivered',
        attempts: 1,
        lastStatusCode: 200,
        lastError: null,
        nextAttemptAt: null,
        deliveredAt: expect.any(String),
        payload: request.json,
      });
      // Delivered once: later ticks leave it alone.
      await dispatcher.dispatchDue();
      expect(receiver.at('/signed', marker)).toHaveLength(1);
    });

    it('sends each endpoint only the event types it subscribed to, one event id for all', async () => {
      await createEndpoint('/security-only', ['security.*']);
      await createEndpoint('/key-created', ['key.created']);
      await createEndpoint('/everything', ['*']);
      const { marker, event: keyCreated } = event('key.created');
      const honeytoken = { type: 'security.key.honeytoken_used', data: { keyId: randomUUID(), marker } };
      await db.transaction(async (manager) => {
        await outbox.enqueue(manager, keyCreated);
        await outbox.enqueue(manager, honeytoken);
      });
      await dispatcher.dispatchDue();

      const typesAt = (path: string) => receiver.at(path, marker).map((r) => r.json.type).sort();
      expect(typesAt('/security-only')).toEqual(['security.key.honeytoken_used']);
      expect(typesAt('/key-created')).toEqual(['key.created']);
      expect(typesAt('/everything')).toEqual(['key.created', 'security.key.honeytoken_used']);
      const eventIdAt = (path: string) => receiver.at(path, marker).find((r) => r.json.type === 'key.created')!.json.id;
      expect(eventIdAt('/key-created')).toBe(eventIdAt('/everything'));
    });

    it('retries a failing endpoint after the backoff, and gives up after the last attempt', async () => {
      receiver.statusByPath.set('/flaky', 500);
      const { id } = await createEndpoint('/flaky', ['key.revoked']);
      const { marker, event: revoked } = event('key.revoked');
      await outbox.enqueueDetached(revoked);

      await dispatcher.dispatchDue();
      expect(receiver.at('/flaky', marker)).toHaveLength(1);
      let [logged] = await deliveries(id);
      expect(logged).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: 500, lastError: 'HTTP 500', deliveredAt: null });
      const firstRetryAt = Date.parse(logged.nextAttemptAt!);
      expect(firstRetryAt - clock.now()).toBeGreaterThan(0);
      expect(firstRetryAt - clock.now()).toBeLessThanOrEqual(1000);

      // Not due yet: nothing is sent.
      await dispatcher.dispatchDue();
      expect(receiver.at('/flaky', marker)).toHaveLength(1);

      clock.advance(1);
      await dispatcher.dispatchDue();
      expect(receiver.at('/flaky', marker)).toHaveLength(2);
      [logged] = await deliveries(id);
      expect(logged).toMatchObject({ status: 'pending', attempts: 2, lastStatusCode: 500 });
      // The backoff doubles: base 1s, then 2s.
      expect(Date.parse(logged.nextAttemptAt!) - clock.now()).toBeGreaterThan(1000);

      clock.advance(2);
      await dispatcher.dispatchDue();
      expect(receiver.at('/flaky', marker)).toHaveLength(3);
      [logged] = await deliveries(id);
      expect(logged).toMatchObject({ status: 'failed', attempts: 3, lastStatusCode: 500, lastError: 'HTTP 500', nextAttemptAt: null, deliveredAt: null });
      expect(await deliveries(id, '?status=failed')).toHaveLength(1);
      expect(await deliveries(id, '?status=pending')).toHaveLength(0);

      clock.advance(3600);
      await dispatcher.dispatchDue();
      expect(receiver.at('/flaky', marker)).toHaveLength(3);
    });

    it('delivers on a retry once the endpoint recovers', async () => {
      receiver.statusByPath.set('/recovers', 503);
      const { id } = await createEndpoint('/recovers', ['key.expiring']);
      const { marker, event: expiring } = event('key.expiring');
      await outbox.enqueueDetached(expiring);
      await dispatcher.dispatchDue();
      receiver.statusByPath.delete('/recovers');
      clock.advance(1);
      await dispatcher.dispatchDue();

      const sent = receiver.at('/recovers', marker);
      expect(sent).toHaveLength(2);
      // A retry is the same delivery: same id, same body.
      expect(sent[1].headers['x-keyward-delivery']).toBe(sent[0].headers['x-keyward-delivery']);
      expect(sent[1].body).toBe(sent[0].body);
      expect((await deliveries(id))[0]).toMatchObject({ status: 'delivered', attempts: 2, lastStatusCode: 200, lastError: null });
    });

    it('records network failures without a status code', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      const res = await t.http()
        .post('/api/v1/admin/webhooks')
        .set(bearer(admin))
        .send({ url: `http://127.0.0.1:${port}/nobody-home`, eventTypes: ['key.credits_low'] })
        .expect(201);
      await outbox.enqueueDetached(event('key.credits_low').event);
      await dispatcher.dispatchDue();
      const [logged] = await deliveries(res.body.id);
      expect(logged).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: null, lastError: expect.stringMatching(/fetch failed/) });
    });

    it('delivers nothing for a transaction that rolls back', async () => {
      const { id } = await createEndpoint('/rollback', ['*']);
      const { marker, event: rolled } = event('key.rolled');
      await expect(
        db.transaction(async (manager) => {
          await outbox.enqueue(manager, rolled);
          throw new Error('the change failed');
        }),
      ).rejects.toThrow('the change failed');
      await dispatcher.dispatchDue();
      expect(receiver.at('/rollback', marker)).toHaveLength(0);
      expect((await deliveries(id)).filter((d) => d.payload.data.marker === marker)).toHaveLength(0);
    });

    it('refuses event data holding an API key or a webhook secret, wherever it sits', async () => {
      const { id, secret } = await createEndpoint('/secrets', ['*']);
      const { key } = await createKey(t.http, admin);
      const marker = randomUUID();
      for (const data of [{ key }, { nested: { list: ['fine', key] }, marker }, { note: `leaked ${key} here` }, { secret }]) {
        await expect(db.transaction((manager) => outbox.enqueue(manager, { type: 'key.created', data }))).rejects.toThrow(/looks like a secret/);
      }
      // Detached callers are not thrown at; the event is dropped (and logged).
      await expect(outbox.enqueueDetached({ type: 'key.created', data: { key, marker } })).resolves.toBeUndefined();
      await dispatcher.dispatchDue();
      expect(receiver.at('/secrets', marker)).toHaveLength(0);
      expect(JSON.stringify(await deliveries(id, '?limit=100'))).not.toContain(key);
    });

    it('sends nothing to a disabled endpoint: its pending deliveries fail unsent', async () => {
      const { id } = await createEndpoint('/disabled', ['key.expired']);
      const { marker, event: expired } = event('key.expired');
      await outbox.enqueueDetached(expired);
      await t.http().patch(`/api/v1/admin/webhooks/${id}`).set(bearer(admin)).send({ enabled: false }).expect(200);
      await outbox.enqueueDetached(event('key.expired').event);
      await dispatcher.dispatchDue();

      expect(receiver.at('/disabled', marker)).toHaveLength(0);
      const logged = await deliveries(id);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ status: 'failed', attempts: 0, lastError: 'endpoint disabled', lastStatusCode: null });
    });

    it('lets one claimer at a time have a delivery, and takes it back when its claim lapses', async () => {
      const { id } = await createEndpoint('/claimed', ['key.rotated']);
      const { marker, event: rotated } = event('key.rotated');
      await outbox.enqueueDetached(rotated);
      const [deliveryId] = (await deliveries(id)).map((d) => d.id);
      // Two instances claiming at once, and then one that dies before sending.
      const repository = t.app.get(WebhookDeliveriesRepository);
      const now = clock.now();
      const claims = await Promise.all([0, 1].map(() => repository.claimDue(new Date(now), new Date(now + 65_000), 100)));
      expect(claims.map((claimed) => claimed.filter((d) => d.id === deliveryId).length).sort()).toEqual([0, 1]);

      await dispatcher.dispatchDue();
      expect(receiver.at('/claimed', marker)).toHaveLength(0);
      clock.advance(66);
      await dispatcher.dispatchDue();
      expect(receiver.at('/claimed', marker)).toHaveLength(1);
      expect((await deliveries(id))[0]).toMatchObject({ id: deliveryId, status: 'delivered', attempts: 1 });
    });

    it('pages the delivery log newest first', async () => {
      const { id } = await createEndpoint('/log', ['key.created']);
      for (let i = 0; i < 3; i++) {
        await outbox.enqueueDetached(event('key.created').event);
        clock.advance(0.01);
      }
      const first = await t.http().get(`/api/v1/admin/webhooks/${id}/deliveries?limit=2`).set(bearer(admin)).expect(200);
      const second = await t.http()
        .get(`/api/v1/admin/webhooks/${id}/deliveries?limit=2&cursor=${first.body.nextCursor}`)
        .set(bearer(admin))
        .expect(200);
      const times = [...first.body.items, ...second.body.items].map((d: { createdAt: string }) => Date.parse(d.createdAt));
      expect(times).toHaveLength(3);
      expect([...times].sort((a, b) => b - a)).toEqual(times);
      expect(second.body.nextCursor).toBeNull();
    });
  });

  describe('bad input and access', () => {
    const badBodies: Array<[string, Record<string, unknown>]> = [
      ['an ftp url', { url: 'ftp://example.com/hook', eventTypes: ['*'] }],
      ['a url without a scheme', { url: 'example.com/hook', eventTypes: ['*'] }],
      ['credentials in the url', { url: 'https://user:pass@example.com/hook', eventTypes: ['*'] }],
      ['a too long url', { url: `https://example.com/${'a'.repeat(2048)}`, eventTypes: ['*'] }],
      ['no event types', { url: 'https://example.com/hook', eventTypes: [] }],
      ['a malformed event type', { url: 'https://example.com/hook', eventTypes: ['Key.Created'] }],
      ['a wildcard in the middle', { url: 'https://example.com/hook', eventTypes: ['key.*.created'] }],
      ['too many event types', { url: 'https://example.com/hook', eventTypes: Array.from({ length: 21 }, (_, i) => `key.t${'x'.repeat(i)}`) }],
      ['a too long description', { url: 'https://example.com/hook', eventTypes: ['*'], description: 'd'.repeat(201) }],
      ['an unknown field', { url: 'https://example.com/hook', eventTypes: ['*'], secret: 'whsec_mine' }],
    ];

    it.each(badBodies)('refuses %s with 400', async (_name, body) => {
      const res = await t.http().post('/api/v1/admin/webhooks').set(bearer(admin)).send(body).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.any(String), requestId: expect.any(String) });
    });

    it('refuses bad ids, unknown fields on update and bad filters with 400, unknown ids with 404', async () => {
      for (const path of ['/api/v1/admin/webhooks/not-a-uuid', '/api/v1/admin/webhooks/not-a-uuid/deliveries']) {
        const res = await t.http().get(path).set(bearer(admin)).expect(400);
        expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.any(String), requestId: expect.any(String) });
      }
      const { id } = await createEndpoint('/bad-input', ['key.created']);
      await t.http().patch(`/api/v1/admin/webhooks/${id}`).set(bearer(admin)).send({ url: 'ftp://example.com' }).expect(400);
      await t.http().patch(`/api/v1/admin/webhooks/${id}`).set(bearer(admin)).send({ createdBy: randomUUID() }).expect(400);
      await t.http().get(`/api/v1/admin/webhooks/${id}/deliveries?status=lost`).set(bearer(admin)).expect(400);
      await t.http().get(`/api/v1/admin/webhooks/${id}/deliveries?cursor=forged`).set(bearer(admin)).expect(400);
      await t.http().get('/api/v1/admin/webhooks?limit=1000').set(bearer(admin)).expect(400);
      await t.http().patch(`/api/v1/admin/webhooks/${randomUUID()}`).set(bearer(admin)).send({ enabled: true }).expect(404);
    });

    it('refuses callers without system permissions', async () => {
      const user = await createUser(t.http, admin, ['user']);
      const { id } = await createEndpoint('/forbidden', ['*']);
      const refused = await t.http().post('/api/v1/admin/webhooks').set(bearer(user.token)).send({ url: receiver.url('/x'), eventTypes: ['*'] }).expect(403);
      expect(refused.body).toMatchObject({ statusCode: 403, error: 'Forbidden', requestId: expect.any(String) });
      await t.http().get('/api/v1/admin/webhooks').set(bearer(user.token)).expect(403);
      await t.http().get(`/api/v1/admin/webhooks/${id}/deliveries`).set(bearer(user.token)).expect(403);
      await t.http().delete(`/api/v1/admin/webhooks/${id}`).set(bearer(user.token)).expect(403);
      await t.http().get('/api/v1/admin/webhooks').expect(401);
    });
  });
});
