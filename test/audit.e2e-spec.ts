import type { Test } from 'supertest';
import { DataSource } from 'typeorm';
import { AuditBatcher } from '../src/audit/audit-batcher';
import { RetentionJob } from '../src/audit/retention.job';
import { bearer, createUser, login, loginAsAdmin, type CreatedUser } from './support/auth-helpers';
import { createKey, mistyped, verify } from './support/keys-helpers';
import { startIsolatedApp, type TestApp } from './support/test-app';
import { TestClock } from './support/test-clock';

interface AuditRecord {
  seq: number;
  time: string;
  actor: { type: string; id: string | null; name: string | null };
  action: string;
  target: { type: string | null; id: string | null };
  outcome: string;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
  hash: string;
}

describe('audit log (e2e)', () => {
  const clock = new TestClock();
  let t: TestApp;
  let admin: string;
  let adminId: string;
  let db: DataSource;

  beforeAll(async () => {
    t = await startIsolatedApp({ AUDIT_LEVEL: 'detailed' }, clock);
    admin = await loginAsAdmin(t.http);
    adminId = (await t.http().get('/api/v1/auth/me').set(bearer(admin)).expect(200)).body.id;
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  async function headSeq(): Promise<number> {
    const res = await t.http().get('/api/v1/admin/audit?limit=1').set(bearer(admin)).expect(200);
    return res.body.items[0]?.seq ?? 0;
  }

  async function recordsSince(seq: number): Promise<AuditRecord[]> {
    const res = await t.http().get('/api/v1/admin/audit?limit=100').set(bearer(admin)).expect(200);
    return (res.body.items as AuditRecord[]).filter((r) => r.seq > seq && r.action !== 'user.login').reverse();
  }

  async function verifyChain(query = ''): Promise<{ ok: boolean; checked: number; brokenAt?: number; reason?: string }> {
    return (await t.http().get(`/api/v1/admin/audit/verify${query}`).set(bearer(admin)).expect(200)).body;
  }

  describe('every management route writes exactly one record', () => {
    let user: CreatedUser;
    let keyId: string;
    let otherUserId: string;

    beforeAll(async () => {
      user = await createUser(t.http, admin);
      keyId = (await createKey(t.http, admin)).id;
      otherUserId = (await createUser(t.http, admin)).id;
    });

    const cases: Array<{
      action: string;
      target: () => { type: string; id: string };
      actor?: () => string;
      call: () => Test;
    }> = [
      { action: 'key.created', target: () => ({ type: 'api_key', id: '' }), call: () => t.http().post('/api/v1/keys').set(bearer(admin)).send({ name: 'audited' }) },
      { action: 'key.updated', target: () => ({ type: 'api_key', id: keyId }), call: () => t.http().patch(`/api/v1/keys/${keyId}`).set(bearer(admin)).send({ name: 'renamed' }) },
      { action: 'key.revoked', target: () => ({ type: 'api_key', id: keyId }), call: () => t.http().post(`/api/v1/keys/${keyId}/revoke`).set(bearer(admin)).send({ reason: 'test' }) },
      { action: 'key.deleted', target: () => ({ type: 'api_key', id: keyId }), call: () => t.http().delete(`/api/v1/keys/${keyId}`).set(bearer(admin)) },
      {
        action: 'user.created',
        target: () => ({ type: 'user', id: '' }),
        call: () => t.http().post('/api/v1/admin/users').set(bearer(admin)).send({ email: `audit-${Date.now()}@example.test`, name: 'A', password: 'a-long-enough-password' }),
      },
      { action: 'user.updated', target: () => ({ type: 'user', id: otherUserId }), call: () => t.http().patch(`/api/v1/admin/users/${otherUserId}`).set(bearer(admin)).send({ name: 'B' }) },
      { action: 'user.roles_set', target: () => ({ type: 'user', id: otherUserId }), call: () => t.http().put(`/api/v1/admin/users/${otherUserId}/roles`).set(bearer(admin)).send({ roles: ['auditor'] }) },
      { action: 'user.unlocked', target: () => ({ type: 'user', id: otherUserId }), call: () => t.http().post(`/api/v1/admin/users/${otherUserId}/unlock`).set(bearer(admin)) },
      { action: 'user.deleted', target: () => ({ type: 'user', id: otherUserId }), call: () => t.http().delete(`/api/v1/admin/users/${otherUserId}`).set(bearer(admin)) },
      {
        action: 'user.password_changed',
        target: () => ({ type: 'user', id: user.id }),
        actor: () => user.id,
        call: () => t.http().post('/api/v1/auth/password').set(bearer(user.token)).send({ currentPassword: user.password, newPassword: 'another-long-password-1' }),
      },
      { action: 'permission.created', target: () => ({ type: 'permission', id: 'audit:probe' }), call: () => t.http().post('/api/v1/admin/permissions').set(bearer(admin)).send({ name: 'audit:probe' }) },
      {
        action: 'permission.updated',
        target: () => ({ type: 'permission', id: 'audit:probe' }),
        call: () => t.http().patch('/api/v1/admin/permissions/audit:probe').set(bearer(admin)).send({ description: 'probe' }),
      },
      { action: 'role.created', target: () => ({ type: 'role', id: 'audit-role' }), call: () => t.http().post('/api/v1/admin/roles').set(bearer(admin)).send({ name: 'audit-role', permissions: ['audit:probe'] }) },
      { action: 'role.updated', target: () => ({ type: 'role', id: 'audit-role' }), call: () => t.http().patch('/api/v1/admin/roles/audit-role').set(bearer(admin)).send({ description: 'x' }) },
      { action: 'role.deleted', target: () => ({ type: 'role', id: 'audit-role' }), call: () => t.http().delete('/api/v1/admin/roles/audit-role').set(bearer(admin)) },
      { action: 'permission.deleted', target: () => ({ type: 'permission', id: 'audit:probe' }), call: () => t.http().delete('/api/v1/admin/permissions/audit:probe').set(bearer(admin)) },
    ];

    it.each(cases.map((c) => [c.action, c] as const))('%s', async (_action, c) => {
      const before = await headSeq();
      const res = await c.call().set('User-Agent', 'audit-test/1.0');
      expect(res.status).toBeLessThan(300);
      const records = await recordsSince(before);
      expect(records).toHaveLength(1);
      const [record] = records;
      const target = c.target();
      expect(record).toMatchObject({
        action: c.action,
        outcome: 'success',
        actor: { type: 'user', id: c.actor ? c.actor() : adminId },
        target: { type: target.type, ...(target.id ? { id: target.id } : {}) },
        userAgent: 'audit-test/1.0',
        requestId: res.headers['x-request-id'],
      });
      expect(record.ip).toBeTruthy();
      expect(record.target.id).toBeTruthy();
    });

    it('records sign-ins and failed sign-ins, naming the email tried but never the password', async () => {
      const before = await headSeq();
      await t.http().post('/api/v1/auth/login').send({ email: user.email, password: 'wrong-password-123' }).expect(401);
      const records = await recordsSince(before);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ action: 'user.login_failed', outcome: 'failure', actor: { type: 'anonymous', name: user.email }, target: { id: user.id } });
      expect(JSON.stringify(records[0])).not.toContain('wrong-password-123');

      await login(t.http, user.email, 'another-long-password-1');
      const all = (await t.http().get(`/api/v1/admin/audit?action=user.login&actorId=${user.id}`).set(bearer(admin)).expect(200)).body.items;
      expect(all.length).toBeGreaterThanOrEqual(1);
      expect(all.every((r: AuditRecord) => r.action === 'user.login' && r.actor.id === user.id)).toBe(true);
    });
  });

  it('never records a key or its hash', async () => {
    const key = await createKey(t.http, admin, { name: 'secret-check' });
    const created = (await t.http().get(`/api/v1/admin/audit?targetId=${key.id}`).set(bearer(admin)).expect(200)).body.items;
    expect(created).toHaveLength(1);
    const text = JSON.stringify(created);
    expect(text).not.toContain(key.key);
    expect(text).not.toContain(key.key.slice(-20));
    const [{ hash }] = await db.query(`SELECT encode(hash, 'hex') AS hash FROM api_keys WHERE id = $1`, [key.id]);
    expect(text).not.toContain(hash);
  });

  describe('atomicity', () => {
    it('a change whose audit record cannot be written does not happen', async () => {
      await db.query(`CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$`);
      await db.query(`CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit()`);
      try {
        const before = Number((await db.query(`SELECT count(*) AS n FROM api_keys`))[0].n);
        const res = await t.http().post('/api/v1/keys').set(bearer(admin)).send({ name: 'must-not-exist' });
        expect(res.status).toBeGreaterThanOrEqual(500);
        expect(res.body).toMatchObject({ statusCode: res.status, requestId: expect.any(String) });
        expect(Number((await db.query(`SELECT count(*) AS n FROM api_keys`))[0].n)).toBe(before);
        expect(await db.query(`SELECT 1 FROM api_keys WHERE name = 'must-not-exist'`)).toHaveLength(0);
      } finally {
        await db.query(`DROP TRIGGER refuse_audit ON audit_log`);
        await db.query(`DROP FUNCTION refuse_audit()`);
      }
    });

    it('a change that fails leaves no record', async () => {
      const existing = await createUser(t.http, admin);
      const before = await headSeq();
      await t.http()
        .post('/api/v1/admin/users')
        .set(bearer(admin))
        .send({ email: existing.email, name: 'Dup', password: 'a-long-enough-password' })
        .expect(409);
      await t.http().post('/api/v1/keys').set(bearer(admin)).send({ name: 'x', permissions: ['nope:nope'] }).expect(400);
      expect(await recordsSince(before)).toEqual([]);
    });

    it('the log is append-only: updates and deletes are refused by the database', async () => {
      await expect(db.query(`UPDATE audit_log SET action = 'x' WHERE seq = 1`)).rejects.toThrow(/append-only/);
      await expect(db.query(`DELETE FROM audit_log WHERE seq = 1`)).rejects.toThrow(/append-only/);
    });
  });

  describe('chain verification', () => {
    it('reports ok with the number of records checked, for the whole chain and for a range', async () => {
      const head = await headSeq();
      const whole = await verifyChain();
      expect(whole).toMatchObject({ ok: true, headSeq: expect.any(Number) });
      expect(whole.checked).toBeGreaterThanOrEqual(head);
      expect(await verifyChain('?fromSeq=2&toSeq=4')).toMatchObject({ ok: true, checked: 3, fromSeq: 2, toSeq: 4 });
    });

    it('reports a record altered through SQL at its sequence number, and a removed one', async () => {
      const victim = Math.max(2, (await headSeq()) - 3);
      const tamper = async (sql: string) => {
        await db.transaction(async (manager) => {
          await manager.query(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`);
          await manager.query(sql);
          await manager.query(`ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`);
        });
      };
      const [original] = await db.query(`SELECT details FROM audit_log WHERE seq = $1`, [victim]);
      await tamper(`UPDATE audit_log SET details = details || '{"forged": true}' WHERE seq = ${victim}`);
      expect(await verifyChain()).toMatchObject({ ok: false, brokenAt: victim, reason: 'record was altered' });
      await db.transaction(async (manager) => {
        await manager.query(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`);
        await manager.query(`UPDATE audit_log SET details = $1 WHERE seq = $2`, [original.details, victim]);
        await manager.query(`ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`);
      });
      expect((await verifyChain()).ok).toBe(true);

      // Re-hashing the forged record does not help: the next record's link gives it away.
      await tamper(`UPDATE audit_log SET target_id = target_id || '-forged', hash = sha256(hash) WHERE seq = ${victim}`);
      const report = await verifyChain();
      expect(report.ok).toBe(false);
      expect(report.brokenAt).toBe(victim);
      await tamper(`UPDATE audit_log SET target_id = NULLIF(replace(target_id, '-forged', ''), ''), hash = (SELECT prev_hash FROM audit_log WHERE seq = ${victim + 1}) WHERE seq = ${victim}`);
      expect(await verifyChain()).toMatchObject({ ok: true });
    });
  });

  describe('query and export', () => {
    it('filters by action prefix, target, outcome and time, newest first, with a cursor', async () => {
      const key = await createKey(t.http, admin, { name: 'paged' });
      for (const name of ['a', 'b', 'c']) await t.http().patch(`/api/v1/keys/${key.id}`).set(bearer(admin)).send({ name }).expect(200);
      const first = await t.http().get(`/api/v1/admin/audit?targetId=${key.id}&action=key.&limit=2`).set(bearer(admin)).expect(200);
      expect(first.body.items.map((r: AuditRecord) => r.action)).toEqual(['key.updated', 'key.updated']);
      expect(first.body.items[0].seq).toBeGreaterThan(first.body.items[1].seq);
      const second = await t.http().get(`/api/v1/admin/audit?targetId=${key.id}&action=key.&limit=2&cursor=${first.body.nextCursor}`).set(bearer(admin)).expect(200);
      expect(second.body.items.map((r: AuditRecord) => r.action)).toEqual(['key.updated', 'key.created']);
      expect(second.body.nextCursor).toBeNull();

      const future = new Date(clock.now() + 3_600_000).toISOString();
      const none = await t.http().get(`/api/v1/admin/audit?from=${future}`).set(bearer(admin)).expect(200);
      expect(none.body.items).toEqual([]);
      const failures = await t.http().get('/api/v1/admin/audit?outcome=failure&limit=100').set(bearer(admin)).expect(200);
      expect(failures.body.items.length).toBeGreaterThan(0);
      expect(failures.body.items.every((r: AuditRecord) => r.outcome === 'failure')).toBe(true);
    });

    it('streams NDJSON and CSV exports that match the query', async () => {
      const listed = (await t.http().get('/api/v1/admin/audit?action=key.&limit=100').set(bearer(admin)).expect(200)).body.items as AuditRecord[];
      const ndjson = await t.http().get('/api/v1/admin/audit/export?format=ndjson&action=key.').set(bearer(admin)).expect(200);
      expect(ndjson.headers['content-type']).toContain('application/x-ndjson');
      expect(ndjson.headers['content-disposition']).toMatch(/attachment; filename="keyward-audit-.*\.ndjson"/);
      const exported = ndjson.text.trim().split('\n').map((line) => JSON.parse(line) as AuditRecord);
      expect(exported.map((r) => r.seq)).toEqual(listed.map((r) => r.seq).reverse());
      expect(exported[0]).toEqual(listed[listed.length - 1]);

      const csv = await t.http().get('/api/v1/admin/audit/export?format=csv&action=key.').set(bearer(admin)).expect(200);
      expect(csv.headers['content-type']).toContain('text/csv');
      const rows = parseCsv(csv.text);
      expect(rows[0]).toEqual(['seq', 'time', 'actorType', 'actorId', 'actorName', 'action', 'targetType', 'targetId', 'outcome', 'ip', 'userAgent', 'requestId', 'details', 'hash']);
      expect(rows.slice(1).map((r) => Number(r[0]))).toEqual(exported.map((r) => r.seq));
      const byColumn = Object.fromEntries(rows[0].map((name, i) => [name, rows[1][i]]));
      expect(byColumn).toMatchObject({ action: exported[0].action, hash: exported[0].hash, targetId: exported[0].target.id });
      expect(JSON.parse(byColumn.details)).toEqual(exported[0].details);

      // The export is itself on the record.
      const exports = (await t.http().get('/api/v1/admin/audit?action=audit.exported').set(bearer(admin)).expect(200)).body.items;
      expect(exports[0]).toMatchObject({ actor: { id: adminId }, details: { format: 'csv', filter: { action: 'key.' } } });
    });

    it('neutralises spreadsheet formulas in CSV cells', async () => {
      await t.http().post('/api/v1/keys').set(bearer(admin)).set('User-Agent', '=HYPERLINK("http://evil")').send({ name: 'csv' }).expect(201);
      const csv = await t.http().get('/api/v1/admin/audit/export?format=csv&action=key.created').set(bearer(admin)).expect(200);
      const rows = parseCsv(csv.text);
      const agents = rows.slice(1).map((r) => r[rows[0].indexOf('userAgent')]);
      expect(agents).toContain(`'=HYPERLINK("http://evil")`);
    });

    it.each([
      ['actorId=not-a-uuid'],
      ['limit=1000'],
      ['outcome=maybe'],
      ['from=yesterday'],
      ['action=DROP TABLE'],
      ['unknown=1'],
      ['cursor=!!!'],
    ])('refuses a bad filter: %s', async (query) => {
      const res = await t.http().get(`/api/v1/admin/audit?${query}`).set(bearer(admin)).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', requestId: expect.any(String) });
    });

    it('refuses a bad export format and a bad verify range', async () => {
      await t.http().get('/api/v1/admin/audit/export?format=xml').set(bearer(admin)).expect(400);
      await t.http().get('/api/v1/admin/audit/verify?fromSeq=0').set(bearer(admin)).expect(400);
    });

    it('is for auditors and admins only', async () => {
      const plain = await createUser(t.http, admin, ['user']);
      const auditor = await createUser(t.http, admin, ['auditor']);
      await t.http().get('/api/v1/admin/audit').set(bearer(plain.token)).expect(403);
      await t.http().get('/api/v1/admin/audit/export').set(bearer(plain.token)).expect(403);
      await t.http().get('/api/v1/admin/audit').expect(401);
      await t.http().get('/api/v1/admin/audit').set(bearer(auditor.token)).expect(200);
      await t.http().get('/api/v1/admin/audit/verify').set(bearer(auditor.token)).expect(200);
    });
  });

  it('records failed verifications in batches at AUDIT_LEVEL=detailed, but not successful ones', async () => {
    const key = await createKey(t.http, admin, { name: 'verified' });
    const before = await headSeq();
    expect((await verify(t.http, admin, { key: key.key })).valid).toBe(true);
    expect((await verify(t.http, admin, { key: 'kw_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1234567' })).valid).toBe(false);
    await t.http().post(`/api/v1/keys/${key.id}/revoke`).set(bearer(admin)).send({}).expect(200);
    expect(await verify(t.http, admin, { key: key.key, ip: '198.51.100.4' })).toMatchObject({ valid: false, code: 'REVOKED' });
    await t.app.get(AuditBatcher).flush();
    const records = (await recordsSince(before)).filter((r) => r.action.startsWith('key.verif'));
    expect(records.map((r) => [r.action, r.details.code])).toEqual([
      ['key.verify_failed', 'MALFORMED'],
      ['key.verify_failed', 'REVOKED'],
    ]);
    expect(records[1]).toMatchObject({ actor: { type: 'user', id: adminId }, target: { type: 'api_key', id: key.id }, details: { source: '198.51.100.4' } });
    expect(JSON.stringify(records)).not.toContain(key.key);
    expect(await verifyChain()).toMatchObject({ ok: true });
  });

  it('at AUDIT_LEVEL=verbose records each verification once: a key used as the credential is its actor, not a record of its own', async () => {
    const verbose = await startIsolatedApp({ AUDIT_LEVEL: 'verbose' });
    try {
      const token = await loginAsAdmin(verbose.http);
      const gateway = await createKey(verbose.http, token, { name: 'gateway', permissions: ['keys:verify'] });
      const checked = await createKey(verbose.http, token, { name: 'checked' });
      await verbose.http().post('/api/v1/keys/verify').set('X-API-Key', gateway.key).send({ key: checked.key }).expect(200);
      await verbose.http().post('/api/v1/keys/verify').set('X-API-Key', mistyped(gateway.key)).send({ key: checked.key }).expect(401);
      await verbose.app.get(AuditBatcher).flush();
      const res = await verbose.http().get('/api/v1/admin/audit?action=key.verif&limit=100').set(bearer(token)).expect(200);
      expect((res.body.items as AuditRecord[]).reverse()).toMatchObject([
        { action: 'key.verified', actor: { type: 'key', id: gateway.id }, target: { id: checked.id }, outcome: 'success' },
        { action: 'key.verify_failed', target: { id: null }, outcome: 'failure', details: { code: 'MALFORMED' } },
      ]);
    } finally {
      await verbose.close();
    }
  });

  it('retention removes old records, keeps young ones, and leaves a chain that verifies', async () => {
    const job = t.app.get(RetentionJob);
    expect(await job.run()).toEqual({ auditRemoved: 0, usageRemoved: 0, appliedBatchesRemoved: 0 });
    const oldHead = await headSeq();
    clock.advance(400 * 86400);
    await createKey(t.http, admin, { name: 'young' });
    const result = await job.run();
    expect(result.auditRemoved).toBe(oldHead);
    const [{ first }] = await db.query(`SELECT min(seq)::int AS first FROM audit_log`);
    expect(first).toBe(oldHead + 1);
    const checkpoint = (await t.http().get('/api/v1/admin/audit?action=audit.pruned').set(bearer(admin)).expect(200)).body.items[0];
    expect(checkpoint).toMatchObject({ actor: { type: 'system' }, details: { throughSeq: oldHead, removed: oldHead } });
    expect(await verifyChain()).toMatchObject({ ok: true });
    // Nothing younger than the minimum goes, however often it runs.
    expect((await job.run()).auditRemoved).toBe(0);
    expect(await verifyChain()).toMatchObject({ ok: true });
  });
});

/** RFC 4180, enough for the export: quoted cells with doubled quotes and embedded newlines. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell.replace(/\r$/, ''));
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  return rows;
}
