import { JwtService } from '@nestjs/jwt';
import { createHmac, randomUUID } from 'node:crypto';
import { request as httpRequest, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { generateKey } from '../src/api-keys/key-format';
import { AppConfig } from '../src/config/app-config';
import { isGranted } from '../src/permissions/permission-evaluator';
import { bearer, createUser, loginAsAdmin, uniqueEmail, type CreatedUser } from './support/auth-helpers';
import { verify, type CreatedKey } from './support/keys-helpers';
import { call, describeOp, discoverRoutes, PLACEHOLDER_PATH_VALUES, type Operation, type RouteCatalog } from './support/openapi-routes';
import { ADMIN_PASSWORD, startIsolatedApp, TEST_SECRETS, type TestApp } from './support/test-app';

/**
 * OWASP API Security Top 10 (2023, plus Injection from 2019) against the running application.
 * Routes come from its own OpenAPI document, so a route added later is covered without touching
 * this file. Every per-role 401/403 walk lives in route-guards.e2e-spec.ts; here the questions are
 * what callers can reach and change beyond that.
 */

interface Caller {
  name: string;
  headers: Record<string, string>;
  permissions: string[];
}

let t: TestApp;
let routes: RouteCatalog;
let adminToken: string;
/** An API key with the admin role: the credential every route takes, forward-auth included. */
let adminKey: string;
let rolePermissions: Record<string, string[]>;
/** One object of each kind that has an `{id}` route, for walks that need the id to exist. */
const ids = { key: '', user: '', webhook: '' };
/** Every secret handed out in this file (keys, signing secrets, passwords): none may come back later. */
const issuedSecrets: string[] = [ADMIN_PASSWORD];
const issuedKeys: string[] = [];

async function mintKey(token: string, body: Record<string, unknown> = {}): Promise<CreatedKey> {
  const res = await t.http().post('/api/v1/keys').set(bearer(token)).send({ name: 'owasp key', ...body }).expect(201);
  issuedKeys.push(res.body.key);
  return { id: res.body.id, key: res.body.key, body: res.body };
}

async function newUser(roles: string[]): Promise<CreatedUser> {
  const user = await createUser(t.http, adminToken, roles);
  issuedSecrets.push(user.password);
  return user;
}

/** The `{id}` a route of this path takes: users and webhooks under /admin, keys elsewhere (a new kind of object needs a line). */
function idFor(path: string): string {
  if (path.startsWith('/api/v1/admin/users/')) return ids.user;
  if (path.startsWith('/api/v1/admin/webhooks/')) return ids.webhook;
  return ids.key;
}

const realPathValues = (op: Operation) => ({ id: idFor(op.path), name: 'user' });
const withoutRequestId = ({ requestId: _requestId, ...rest }: Record<string, unknown>) => rest;

beforeAll(async () => {
  t = await startIsolatedApp({
    BODY_LIMIT: '16kb',
    FAILED_VERIFY_LIMIT: '1000000',
    // Short enough for API4 to watch slow clients get cut, long past any pause of a prompt client.
    HTTP_HEADERS_TIMEOUT_MS: '3000',
    HTTP_REQUEST_TIMEOUT_MS: '3000',
    HTTP_KEEP_ALIVE_TIMEOUT_MS: '2000',
  });
  // Listening for good, so raw sockets and supertest share one port.
  const server = t.app.getHttpServer() as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  routes = await discoverRoutes(t.http);
  adminToken = await loginAsAdmin(t.http);
  const roles = (await t.http().get('/api/v1/roles').set(bearer(adminToken)).expect(200)).body.items as Array<{ name: string; permissions: string[] }>;
  rolePermissions = Object.fromEntries(roles.map((role) => [role.name, role.permissions]));

  const user = await newUser(['user']);
  ids.user = user.id;
  ids.key = (await mintKey(user.token, { name: 'fixture key' })).id;
  adminKey = (await mintKey(adminToken, { name: 'admin key', roles: ['admin'] })).key;
  const webhook = await t
    .http()
    .post('/api/v1/admin/webhooks')
    .set(bearer(adminToken))
    .send({ url: 'https://hooks.example.test/keyward', eventTypes: ['key.revoked'], enabled: false })
    .expect(201);
  ids.webhook = webhook.body.id;
  issuedSecrets.push(webhook.body.secret);
});
afterAll(() => t?.close());

describe('API1:2023 Broken Object Level Authorization: another user\'s objects are 404 and stay as they were', () => {
  /** Valid, harmful bodies, so a refusal cannot hide behind a 400; other routes get `{}`. */
  const HARMFUL_BODIES: Record<string, object> = {
    UpdateApiKeyDto: { name: 'taken over', enabled: false, permissions: [], ipAllowlist: ['203.0.113.0/24'] },
    RevokeApiKeyDto: { reason: 'taken over' },
    RollApiKeyDto: { gracePeriodSeconds: 0 },
    UpdateUserDto: { status: 'disabled' },
    SetUserRolesDto: { roles: ['admin'] },
    UpdateWebhookDto: { enabled: true },
  };
  let owner: CreatedUser;
  let intruders: Caller[];
  /** The owner's plain key, and the successor of a rolled one (so revoke-previous has work to refuse). */
  let targets: Array<{ label: string; id: string }>;
  let ownerSecrets: string[];

  beforeAll(async () => {
    owner = await newUser(['user']);
    const intruder = await newUser(['user']);
    const intruderKey = await mintKey(intruder.token, { name: 'intruder key', roles: ['user'] });
    intruders = [
      { name: 'another user', headers: bearer(intruder.token), permissions: rolePermissions.user },
      { name: "another user's API key", headers: { 'X-API-Key': intruderKey.key }, permissions: rolePermissions.user },
    ];
    const plain = await mintKey(owner.token, { name: 'owner key', meta: { team: 'owners' } });
    const rolled = await mintKey(owner.token, { name: 'rolled key' });
    const successor = await t.http().post(`/api/v1/keys/${rolled.id}/roll`).set(bearer(owner.token)).send({ gracePeriodSeconds: 3600 }).expect(201);
    issuedKeys.push(successor.body.key);
    targets = [
      { label: 'key', id: plain.id },
      { label: 'rolled successor', id: successor.body.id },
    ];
    ownerSecrets = [plain.key, rolled.key, successor.body.key];
  });

  const ownerView = async () => (await t.http().get('/api/v1/keys').query({ limit: 100 }).set(bearer(owner.token)).expect(200)).body.items;

  it('answers 404 on every :id route to another user and to their key, and changes nothing', async () => {
    const idRoutes = routes.operations.filter((op) => op.path.includes('{id}'));
    expect(idRoutes.length).toBeGreaterThanOrEqual(10);
    // The ids are real: the owner reads them on every GET route they hold.
    for (const op of idRoutes.filter((o) => o.method === 'get' && o.required!.every((p) => isGranted(p, rolePermissions.user)))) {
      for (const target of targets) await call(t.http, op, { id: target.id }).set(bearer(owner.token)).expect(200);
    }
    const before = await ownerView();

    const got: string[] = [];
    const want: string[] = [];
    for (const intruder of intruders) {
      for (const op of idRoutes) {
        for (const target of targets) {
          const allowed = op.required!.every((permission) => isGranted(permission, intruder.permissions));
          const request = call(t.http, op, { id: target.id }).set(intruder.headers);
          const res = await (op.bodySchema ? request.send(HARMFUL_BODIES[op.bodySchema] ?? {}) : request);
          const label = `${intruder.name}: ${describeOp(op)} on the owner's ${target.label}`;
          got.push(`${label} -> ${res.status}`);
          // Routes outside the role are refused by the guard (API5); inside it, the object does not exist.
          want.push(`${label} -> ${allowed ? 404 : 403}`);
        }
      }
    }
    expect(got).toEqual(want);

    expect(await ownerView()).toEqual(before);
    for (const key of ownerSecrets) expect(await verify(t.http, adminToken, { key })).toMatchObject({ valid: true });
  });

  it('gives no hint that the object exists', async () => {
    const [intruder] = intruders;
    const theirs = await t.http().get(`/api/v1/keys/${targets[0].id}`).set(intruder.headers).expect(404);
    const nobodys = await t.http().get(`/api/v1/keys/${randomUUID()}`).set(intruder.headers).expect(404);
    expect(withoutRequestId(theirs.body)).toEqual(withoutRequestId(nobodys.body));
  });

  it('scopes ids that come in bodies and queries too', async () => {
    const [intruder, intruderKey] = intruders;
    const check = (headers: Record<string, string>, body: object) =>
      t.http().post('/api/v1/admin/permissions/check').set(headers).send({ permissions: ['keys:read'], ...body });
    for (const caller of [intruder, intruderKey]) {
      await check(caller.headers, { keyId: targets[0].id }).expect(404);
      await check(caller.headers, { userId: owner.id }).expect(404);
      await t.http().get('/api/v1/keys').query({ ownerId: owner.id }).set(caller.headers).expect(403);
      await t.http().post('/api/v1/keys').set(caller.headers).send({ name: 'planted', ownerId: owner.id }).expect(403);
      const own = (await t.http().get('/api/v1/keys').query({ limit: 100 }).set(caller.headers).expect(200)).body.items as Array<{ ownerId: string }>;
      expect(own.filter((key) => key.ownerId === owner.id)).toEqual([]);
    }
    // The same checks pass for what the caller may see.
    await check(bearer(owner.token), { keyId: targets[0].id }).expect(200);
    await check(bearer(owner.token), { userId: owner.id }).expect(200);
    await check(bearer(adminToken), { keyId: targets[0].id }).expect(200);
    await check(bearer(adminToken), { userId: owner.id }).expect(200);
    expect((await ownerView()).map((key: { name: string }) => key.name).sort()).toEqual(['owner key', 'rolled key', 'rolled key']);
  });
});

describe('API2:2023 Broken Authentication: forged, expired and altered credentials get 401', () => {
  const jwt = new JwtService({});
  const GOOD = { secret: TEST_SECRETS.JWT_SECRET, algorithm: 'HS256' as const, issuer: 'keyward', audience: 'keyward-api' };
  const now = () => Math.floor(Date.now() / 1000);
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  let adminClaims: { sub: string; ver: number };
  let userToken: string;

  beforeAll(async () => {
    const payload = JSON.parse(Buffer.from(adminToken.split('.')[1], 'base64url').toString()) as { sub: string; ver: number };
    adminClaims = { sub: payload.sub, ver: payload.ver };
    userToken = (await newUser(['user'])).token;
  });

  const adminRoute = (token: string) => t.http().get('/api/v1/admin/users').set(bearer(token));

  it('accepts a token made the way the server makes them (the control for the forgeries below)', async () => {
    await adminRoute(jwt.sign(adminClaims, { ...GOOD, expiresIn: 300 })).expect(200);
  });

  it.each<[string, () => string]>([
    ['expired', () => jwt.sign({ ...adminClaims, iat: now() - 600, exp: now() - 60 }, GOOD)],
    ['signed with another key', () => jwt.sign(adminClaims, { ...GOOD, secret: 'not-the-server-secret-0123456789abcdef', expiresIn: 300 })],
    ['signed with another algorithm (HS512, right key)', () => jwt.sign(adminClaims, { ...GOOD, algorithm: 'HS512', expiresIn: 300 })],
    ['alg none without a signature', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...adminClaims, iss: 'keyward', aud: 'keyward-api', exp: now() + 300 })}.`],
    ['alg none with a signature kept', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...adminClaims, iss: 'keyward', aud: 'keyward-api', exp: now() + 300 })}.${adminToken.split('.')[2]}`],
    ["a user's token with the payload swapped for the admin's", () => {
      const [header, payload, signature] = userToken.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
      return `${header}.${b64({ ...claims, ...adminClaims })}.${signature}`;
    }],
    ['another issuer', () => jwt.sign(adminClaims, { ...GOOD, issuer: 'someone-else', expiresIn: 300 })],
    ['another audience', () => jwt.sign(adminClaims, { ...GOOD, audience: 'another-api', expiresIn: 300 })],
    ['no token version', () => jwt.sign({ sub: adminClaims.sub }, { ...GOOD, expiresIn: 300 })],
    ['a token version that was never issued', () => jwt.sign({ ...adminClaims, ver: adminClaims.ver + 1 }, { ...GOOD, expiresIn: 300 })],
    ['a user that does not exist', () => jwt.sign({ sub: randomUUID(), ver: 0 }, { ...GOOD, expiresIn: 300 })],
  ])('refuses a token %s, saying no more than for garbage', async (_, forge) => {
    const garbage = await adminRoute('not.a.token').expect(401);
    const res = await adminRoute(forge()).expect(401);
    expect(withoutRequestId(res.body)).toEqual(withoutRequestId(garbage.body));
  });

  it.each<[string, (userId: string) => Promise<unknown>]>([
    ['disabled', (id) => t.http().patch(`/api/v1/admin/users/${id}`).set(bearer(adminToken)).send({ status: 'disabled' }).expect(200)],
    ['deleted', (id) => t.http().delete(`/api/v1/admin/users/${id}`).set(bearer(adminToken)).expect(204)],
    ['past its account expiry', (id) => t.http().patch(`/api/v1/admin/users/${id}`).set(bearer(adminToken)).send({ expiresAt: new Date(Date.now() - 1000).toISOString() }).expect(200)],
  ])('ends the access token and API keys of a user who is %s', async (_, revoke) => {
    const user = await newUser(['user']);
    const key = await mintKey(user.token, { name: 'soon orphaned' });
    await t.http().get('/api/v1/auth/me').set(bearer(user.token)).expect(200);
    await t.http().get('/api/v1/auth/me').set('X-API-Key', key.key).expect(200);
    await revoke(user.id);
    await t.http().get('/api/v1/auth/me').set(bearer(user.token)).expect(401);
    await t.http().get('/api/v1/auth/me').set('X-API-Key', key.key).expect(401);
    expect(await verify(t.http, adminToken, { key: key.key })).toMatchObject({ valid: false });
  });

  it('refuses an API key with any one character changed, before any lookup', async () => {
    const { key } = await mintKey(userToken, { name: 'flip me' });
    await t.http().get('/api/v1/auth/me').set('X-API-Key', key).expect(200);
    expect(await verify(t.http, adminToken, { key })).toMatchObject({ valid: true });

    const flip = (c: string) => (/[0-9]/.test(c) ? String((Number(c) + 1) % 10) : /[a-z]/.test(c) ? c.toUpperCase() : /[A-Z]/.test(c) ? c.toLowerCase() : '-');
    const accepted: string[] = [];
    for (let i = 0; i < key.length; i++) {
      const altered = key.slice(0, i) + flip(key[i]) + key.slice(i + 1);
      const result = await verify(t.http, adminToken, { key: altered });
      const me = await t.http().get('/api/v1/auth/me').set('X-API-Key', altered);
      if (result.valid !== false || result.code !== 'MALFORMED' || me.status !== 401) accepted.push(`position ${i}: ${result.code ?? 'valid'} / ${me.status}`);
    }
    expect(accepted).toEqual([]);
  });

  it('refuses well-formed keys it never issued and keys it revoked', async () => {
    const never = generateKey('kw', 'live', 32);
    expect(await verify(t.http, adminToken, { key: never })).toEqual({ valid: false, code: 'NOT_FOUND' });
    await t.http().get('/api/v1/auth/me').set('X-API-Key', never).expect(401);
    await t.http().get('/api/v1/auth/me').set(bearer(never)).expect(401);

    const revoked = await mintKey(userToken, { name: 'revoked' });
    await t.http().post(`/api/v1/keys/${revoked.id}/revoke`).set(bearer(userToken)).send({}).expect(200);
    expect(await verify(t.http, adminToken, { key: revoked.key })).toEqual({ valid: false, code: 'REVOKED' });
    await t.http().get('/api/v1/auth/me').set('X-API-Key', revoked.key).expect(401);
  });
});

describe('API3:2023 Broken Object Property Level Authorization: server-owned fields are refused, secrets never returned', () => {
  /** Fields only the server sets. A body naming one is a 400 unless the route's DTO declares it. */
  const SERVER_OWNED: Record<string, unknown> = {
    id: randomUUID(),
    ownerId: randomUUID(),
    hash: 'c2VjcmV0LWhhc2g=',
    hashAlgorithm: 'sha256',
    passwordHash: '$2b$04$abcdefghijklmnopqrstuuN7Mks0Sa9S3hE5c8YbXn7ahQ1qEDU.e',
    tokenVersion: 99,
    failedLoginCount: 0,
    lockedUntil: null,
    revokedAt: '2020-01-01T00:00:00.000Z',
    revokedReason: 'planted',
    createdAt: '2020-01-01T00:00:00.000Z',
    updatedAt: '2020-01-01T00:00:00.000Z',
    deletedAt: null,
    lastUsedAt: '2020-01-01T00:00:00.000Z',
    lastLoginAt: '2020-01-01T00:00:00.000Z',
    start: 'kw_live_abcd',
    last4: 'abcd',
    rotatedFromId: randomUUID(),
    rotatedToId: randomUUID(),
    builtIn: true,
    secret: 'whsec_chosen-by-the-caller',
    createdBy: randomUUID(),
    isAdmin: true,
  };
  const pick = (fields: string[]) => Object.fromEntries(fields.map((field) => [field, SERVER_OWNED[field]]));

  it('rejects every server-owned field on every route that takes a body, naming each one', async () => {
    const bodyRoutes = routes.operations.filter((op) => op.bodySchema);
    expect(bodyRoutes.length).toBeGreaterThanOrEqual(15);
    const misses: string[] = [];
    for (const op of bodyRoutes) {
      const declared = new Set(routes.propertiesOf(op.bodySchema!));
      const smuggled = Object.keys(SERVER_OWNED).filter((field) => !declared.has(field));
      const res = await call(t.http, op, PLACEHOLDER_PATH_VALUES).set(bearer(adminToken)).send(pick(smuggled));
      const named = new Set(((res.body.details ?? []) as Array<{ field: string; messages: string[] }>).filter((d) => d.messages.some((m) => /should not exist/.test(m))).map((d) => d.field));
      const missed = smuggled.filter((field) => !named.has(field));
      if (res.status !== 400 || missed.length > 0) misses.push(`${describeOp(op)} -> ${res.status}, not refused: ${missed.join(', ')}`);
    }
    expect(misses).toEqual([]);
  });

  it('applies nothing from an otherwise valid body that carries server-owned fields', async () => {
    const user = await newUser(['user']);
    const other = await newUser(['user']);
    const key = await mintKey(user.token, { name: 'mine' });
    const keyBefore = (await t.http().get(`/api/v1/keys/${key.id}`).set(bearer(user.token)).expect(200)).body;
    const userBefore = (await t.http().get(`/api/v1/admin/users/${user.id}`).set(bearer(adminToken)).expect(200)).body;

    await t.http().post('/api/v1/keys').set(bearer(user.token)).send({ name: 'smuggled', ...pick(['id', 'hash', 'revokedAt', 'createdAt', 'start', 'rotatedFromId']) }).expect(400);
    await t
      .http()
      .patch(`/api/v1/keys/${key.id}`)
      .set(bearer(user.token))
      .send({ name: 'renamed', ownerId: other.id, honeytoken: true, ...pick(['hash', 'revokedAt', 'createdAt', 'lastUsedAt', 'last4']) })
      .expect(400);
    expect((await t.http().get(`/api/v1/keys/${key.id}`).set(bearer(user.token)).expect(200)).body).toEqual(keyBefore);
    const keys = (await t.http().get('/api/v1/keys').set(bearer(user.token)).expect(200)).body.items as Array<{ id: string }>;
    expect(keys.map((k) => k.id)).toEqual([key.id]);
    expect((await t.http().get('/api/v1/keys').set(bearer(other.token)).expect(200)).body.items).toEqual([]);

    const email = uniqueEmail('smuggler');
    await t
      .http()
      .post('/api/v1/admin/users')
      .set(bearer(adminToken))
      .send({ email, name: 'Smuggler', password: 'a-long-enough-password', ...pick(['passwordHash', 'tokenVersion', 'failedLoginCount', 'lockedUntil', 'lastLoginAt']) })
      .expect(400);
    expect((await t.http().get('/api/v1/admin/users').query({ q: email }).set(bearer(adminToken)).expect(200)).body.items).toEqual([]);
    await t
      .http()
      .patch(`/api/v1/admin/users/${user.id}`)
      .set(bearer(adminToken))
      .send({ name: 'Renamed', email: 'taken@example.test', roles: ['admin'], ...pick(['passwordHash', 'tokenVersion', 'lockedUntil']) })
      .expect(400);
    expect((await t.http().get(`/api/v1/admin/users/${user.id}`).set(bearer(adminToken)).expect(200)).body).toEqual(userBefore);
    // Neither the token version nor the password hash moved: the old token and password still work.
    await t.http().get('/api/v1/auth/me').set(bearer(user.token)).expect(200);
    await t.http().post('/api/v1/auth/login').send({ email: user.email, password: user.password }).expect(200);
  });

  it('never lets __proto__ or constructor members set anything', async () => {
    const user = await newUser(['user']);
    const other = await newUser(['user']);
    for (const body of [
      `{"name":"proto","__proto__":{"ownerId":"${other.id}","isAdmin":true}}`,
      `{"name":"proto","constructor":{"prototype":{"ownerId":"${other.id}","isAdmin":true}}}`,
    ]) {
      const res = await t.http().post('/api/v1/keys').set(bearer(user.token)).set('Content-Type', 'application/json').send(body);
      expect([201, 400]).toContain(res.status);
      if (res.status === 201) {
        issuedKeys.push(res.body.key);
        expect(res.body.ownerId).toBe(user.id);
      }
      // The app runs in this process: its prototypes are these.
      expect(({} as Record<string, unknown>).ownerId).toBeUndefined();
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    }
    expect((await t.http().get('/api/v1/keys').set(bearer(other.token)).expect(200)).body.items).toEqual([]);
  });

  it('never returns a hash or secret from any GET route, the audit export or the metrics', async () => {
    // By now keys were created, rolled and revoked, users changed, a webhook registered.
    const needles: Array<{ label: string; value: string }> = [
      ...Object.entries(TEST_SECRETS).map(([name, value]) => ({ label: name, value })),
      ...issuedSecrets.map((value, i) => ({ label: `issued secret #${i}`, value })),
      ...issuedKeys.flatMap((key, i) => {
        const hash = createHmac('sha256', TEST_SECRETS.KEY_HASH_PEPPER).update(key).digest();
        return [
          { label: `API key #${i}`, value: key },
          { label: `hash of API key #${i} (hex)`, value: hash.toString('hex') },
          { label: `hash of API key #${i} (base64)`, value: hash.toString('base64') },
          { label: `hash of API key #${i} (base64url)`, value: hash.toString('base64url') },
        ];
      }),
    ];
    expect(issuedKeys.length).toBeGreaterThan(10);

    const leaks: string[] = [];
    const scan = (where: string, text: string) => {
      for (const needle of needles) if (text.includes(needle.value)) leaks.push(`${where}: ${needle.label}`);
      if (/\$2[aby]\$\d\d\$/.test(text)) leaks.push(`${where}: a bcrypt hash`);
      const fields = /"(password|passwordHash|keyHash|secret|secretCiphertext|ciphertext|authTag|tokenVersion|pepper)"\s*:/.exec(text);
      if (fields) leaks.push(`${where}: a "${fields[1]}" field`);
      // Audit records carry their chain hash; nothing else has a hash to show.
      if (!where.includes('/admin/audit') && /"hash"\s*:/.test(text)) leaks.push(`${where}: a "hash" field`);
    };
    const gets = routes.operations.filter((op) => op.method === 'get');
    const statuses: string[] = [];
    for (const op of gets) {
      const hasLimit = op.parameters.some((p) => p.in === 'query' && p.name === 'limit');
      const res = await call(t.http, op, realPathValues(op)).query(hasLimit ? { limit: 100 } : {}).set('X-API-Key', adminKey).buffer(true);
      if (res.status < 200 || res.status > 299) statuses.push(`${describeOp(op)} -> ${res.status}`);
      scan(describeOp(op), `${JSON.stringify(res.headers)}\n${textOf(res)}`);
    }
    expect(statuses).toEqual([]);
    const csv = await t.http().get('/api/v1/admin/audit/export').query({ format: 'csv' }).set(bearer(adminToken)).buffer(true).expect(200);
    scan('GET /api/v1/admin/audit/export?format=csv', textOf(csv));
    expect(leaks).toEqual([]);
  });
});

describe('API4:2023 Unrestricted Resource Consumption: bounded bodies, pages and connections', () => {
  let port: number;

  beforeAll(() => {
    port = ((t.app.getHttpServer() as Server).address() as AddressInfo).port;
  });

  it('answers 413 to an over-limit body on every route that takes one, before reading credentials', async () => {
    const bodyRoutes = routes.operations.filter((op) => op.bodySchema);
    const got: string[] = [];
    for (const op of bodyRoutes) {
      const res = await call(t.http, op, PLACEHOLDER_PATH_VALUES).send({ padding: 'x'.repeat(17 * 1024) });
      got.push(`${describeOp(op)} -> ${res.status} ${res.body.code}`);
    }
    expect(got).toEqual(bodyRoutes.map((op) => `${describeOp(op)} -> 413 PAYLOAD_TOO_LARGE`));
  });

  it('limits a compressed body by its inflated size', async () => {
    const bomb = gzipSync(JSON.stringify({ email: 'a@example.test', password: 'x'.repeat(1_000_000) }));
    expect(bomb.length).toBeLessThan(16 * 1024);
    const res = await rawPost(port, '/api/v1/auth/login', { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, bomb);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('answers 431 to oversized request headers', async () => {
    await t.http().get('/health/live').set('X-Padding', 'x'.repeat(20_000)).expect(431);
  });

  it('caps the page size on every paginated route', async () => {
    const paged = routes.operations.filter((op) => op.parameters.some((p) => p.in === 'query' && p.name === 'limit'));
    expect(paged.length).toBeGreaterThanOrEqual(6);
    const got: string[] = [];
    const want: string[] = [];
    for (const op of paged) {
      const max = op.parameters.find((p) => p.name === 'limit')!.schema.maximum;
      got.push(`${describeOp(op)} documents a maximum of ${max}`);
      want.push(`${describeOp(op)} documents a maximum of 100`);
      for (const [limit, status] of [['100', 200], ['101', 400], ['1000000000', 400], ['0', 400], ['-1', 400], ['ten', 400]] as const) {
        const res = await call(t.http, op, realPathValues(op)).query({ limit }).set(bearer(adminToken));
        got.push(`${describeOp(op)}?limit=${limit} -> ${res.status}`);
        want.push(`${describeOp(op)}?limit=${limit} -> ${status}`);
      }
    }
    expect(got).toEqual(want);
    const page = await t.http().get('/api/v1/admin/users').query({ limit: 1 }).set(bearer(adminToken)).expect(200);
    expect(page.body.items).toHaveLength(1);
    expect(page.body.nextCursor).toEqual(expect.any(String));
  });

  it.each<[string, 'post' | 'get', string, Record<string, unknown>, string]>([
    ['a name over 100 characters', 'post', '/api/v1/keys', { name: 'n'.repeat(101) }, 'name'],
    ['101 permissions', 'post', '/api/v1/keys', { name: 'k', permissions: Array.from({ length: 101 }, (_, i) => `orders:p${i}`) }, 'permissions'],
    ['meta over 4 KB', 'post', '/api/v1/keys', { name: 'k', meta: { blob: 'x'.repeat(4100) } }, 'meta'],
    ['meta nested 5 deep', 'post', '/api/v1/keys', { name: 'k', meta: { a: { b: { c: { d: { e: 1 } } } } } }, 'meta'],
    ['a permission query nested past its limit', 'post', '/api/v1/keys/verify', { key: 'kw_live_x', permissionQuery: `${'('.repeat(200)}a:b${')'.repeat(200)}` }, 'permissionQuery'],
    ['a search over 100 characters', 'get', '/api/v1/keys', { q: 'q'.repeat(101) }, 'q'],
  ])('refuses %s with 400, naming the field', async (_, method, path, input, field) => {
    const request = t.http()[method](path).set(bearer(adminToken));
    const res = await (method === 'get' ? request.query(input) : request.send(input));
    expect(res.status).toBe(400);
    expect((res.body.details as Array<{ field: string }>).map((d) => d.field)).toContain(field);
  });

  it('answers 408 and hangs up on clients trickling headers or a body, and closes idle keep-alive connections', async () => {
    const body = 'POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"email":"';
    const [headers, trickledBody, idle] = await Promise.all([
      trickle(port, 'GET /health/live HTTP/1.1\r\nHost: localhost\r\n', 'X-Slow: 1\r\n'),
      trickle(port, body, 'a'),
      trickle(port, 'GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n'),
    ]);
    expect(headers).toMatch(/^HTTP\/1\.1 408 /);
    expect(trickledBody).toMatch(/^HTTP\/1\.1 408 /);
    // Answered, then left open by the client: the server hangs up, having said when it would.
    expect(idle).toMatch(/^HTTP\/1\.1 200 /);
    expect(idle).toMatch(/\r\nKeep-Alive: timeout=2\r\n/i);
  });

  it('refuses server timeouts that cannot hold, at start-up', () => {
    // Both are refused before any secret or data dir is touched.
    const start = (env: Record<string, string>) => () => AppConfig.fromEnvironment({ NODE_ENV: 'test', ...TEST_SECRETS, ...env });
    expect(start({ HTTP_HEADERS_TIMEOUT_MS: '5000', HTTP_REQUEST_TIMEOUT_MS: '1000' })).toThrow('HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS');
    expect(start({ HTTP_REQUEST_TIMEOUT_MS: '0' })).toThrow(/HTTP_REQUEST_TIMEOUT_MS/);
    expect(start({ HTTP_KEEP_ALIVE_TIMEOUT_MS: 'soon' })).toThrow(/HTTP_KEEP_ALIVE_TIMEOUT_MS/);
  });
});

describe('API5:2023 Broken Function Level Authorization: admin functions refuse every other role', () => {
  const adminRoutes = () => routes.operations.filter((op) => op.path.startsWith('/api/v1/admin/'));
  /** Admin routes that read, though not with GET. */
  const READ_ONLY_POSTS = new Set(['POST /api/v1/admin/permissions/check']);
  const callers: Record<string, Caller[]> = {};
  const users: Record<string, CreatedUser> = {};

  beforeAll(async () => {
    for (const role of ['user', 'auditor', 'service']) {
      const user = await newUser([role]);
      users[role] = user;
      const key = await mintKey(adminToken, { name: `${role} key`, ownerId: user.id, roles: [role] });
      callers[role] = [
        { name: role, headers: bearer(user.token), permissions: rolePermissions[role] },
        { name: `${role}'s API key`, headers: { 'X-API-Key': key.key }, permissions: rolePermissions[role] },
      ];
    }
  });

  const reached = async (caller: Caller) => {
    const through: Operation[] = [];
    for (const op of adminRoutes()) {
      const res = await call(t.http, op, PLACEHOLDER_PATH_VALUES).set(caller.headers).send({});
      if (res.status !== 403 || res.body.code !== 'FORBIDDEN') through.push(op);
    }
    return through.map(describeOp);
  };

  it('lets no other role change anything under /admin, and only auditors read there', async () => {
    expect(adminRoutes().length).toBeGreaterThan(20);
    const isRead = (op: string) => op.startsWith('GET ') || READ_ONLY_POSTS.has(op);
    for (const caller of [...callers.user, ...callers.auditor, ...callers.service]) {
      const through = await reached(caller);
      const auditor = callers.auditor.includes(caller);
      // Whatever a route declares: what gets through is a read, and for users and services only the
      // permission check (which answers about their own keys and themselves, see API1).
      const unexpected = through.filter((op) => !isRead(op) || (!auditor && !READ_ONLY_POSTS.has(op)));
      expect({ caller: caller.name, unexpected }).toEqual({ caller: caller.name, unexpected: [] });
      if (auditor) expect(through).toContain('GET /api/v1/admin/audit');
    }
  });

  it('resolves no path trick to an admin function', async () => {
    const [user] = callers.user;
    await t.http().get('/api/v1/admin/users').set(bearer(adminToken)).expect(200);
    const variants = [
      '/API/V1/ADMIN/USERS',
      '/api/v1/admin/users/',
      '/api/v1//admin/users',
      '/api/v1/%61dmin/users',
      '/api/v1/admin/users%2F',
      '/api/v1/admin/users;role=admin',
      '/api/v1/admin/./users',
      '/api/v1/keys/../admin/users',
      '/api/v1/keys/%2E%2E/admin/users',
    ];
    const got: string[] = [];
    for (const path of variants) {
      const res = await t.http().get(path).set(user.headers);
      if (![403, 404].includes(res.status)) got.push(`${path} -> ${res.status}`);
    }
    expect(got).toEqual([]);

    // Override and rewrite headers are not honoured: a read stays a read of what the path names.
    const mine = await mintKey(users.user.token, { name: 'not deleted by a header' });
    await t.http().get(`/api/v1/keys/${mine.id}`).set(user.headers).set('X-HTTP-Method-Override', 'DELETE').expect(200);
    await t.http().get(`/api/v1/keys/${mine.id}`).set(user.headers).expect(200);
    const rewritten = await t.http().get('/api/v1/keys').set(user.headers).set('X-Original-URL', '/api/v1/admin/users').set('X-Rewrite-URL', '/api/v1/admin/users').expect(200);
    expect(rewritten.body.items.map((item: { id: string }) => item.id)).toContain(mine.id);
    expect(JSON.stringify(rewritten.body)).not.toContain('"email"');
  });

  it('refuses escalation through functions the caller does hold, and changes nothing', async () => {
    const [user, userKey] = callers.user;
    const own = await mintKey(users.user.token, { name: 'escalator' });
    for (const caller of [user, userKey]) {
      await t.http().patch(`/api/v1/keys/${own.id}`).set(caller.headers).send({ roles: ['admin'] }).expect(403);
      await t.http().patch(`/api/v1/keys/${own.id}`).set(caller.headers).send({ permissions: ['users:delete'] }).expect(403);
      await t.http().post('/api/v1/keys').set(caller.headers).send({ name: 'escalated', roles: ['auditor'] }).expect(403);
    }
    const after = await t.http().get(`/api/v1/keys/${own.id}`).set(user.headers).expect(200);
    expect(after.body).toMatchObject({ roles: [], permissions: [] });

    // A key holds at most what it was given: one that may only create keys cannot mint a broader one.
    const narrow = await mintKey(adminToken, { name: 'narrow', ownerId: users.user.id, permissions: ['keys:create'] });
    await t.http().post('/api/v1/keys').set('X-API-Key', narrow.key).send({ name: 'wider', permissions: ['keys:read'] }).expect(403);
    await t.http().post('/api/v1/keys').set('X-API-Key', narrow.key).send({ name: 'wider', roles: ['user'] }).expect(403);
    // Only a signed-in user changes a password.
    await t.http().post('/api/v1/auth/password').set(userKey.headers).send({ currentPassword: 'whatever-it-is', newPassword: 'a-brand-new-password' }).expect(403);
  });
});

describe('API8:2019 Injection: hostile text is stored and matched literally, never executed', () => {
  const PAYLOADS = [
    "' OR 1=1 --",
    '"; DROP TABLE users; --',
    "admin'--",
    '%',
    '_',
    '\\',
    '100%_off\\%',
    '{"$gt":""}',
    '{"$ne":null}',
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '${7*7}{{7*7}}',
    '../../etc/passwd',
  ];
  const DECOYS = ['plain', '100 percent', 'a-b', 'aXb', '7*7'];
  let user: CreatedUser;
  const keysByName = new Map<string, string>();

  beforeAll(async () => {
    user = await newUser(['user']);
    for (const name of [...PAYLOADS, ...DECOYS]) {
      keysByName.set(name, (await mintKey(user.token, { name, meta: { note: name, [name]: name } })).id);
    }
  });

  it('stores and returns hostile text exactly as sent', async () => {
    for (const payload of PAYLOADS) {
      const res = await t.http().get(`/api/v1/keys/${keysByName.get(payload)}`).set(bearer(user.token)).expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect({ name: res.body.name, meta: res.body.meta }).toEqual({ name: payload, meta: { note: payload, [payload]: payload } });
    }
    const text = PAYLOADS.join(' ');
    const revoked = await t.http().post(`/api/v1/keys/${keysByName.get('plain')}/revoke`).set(bearer(user.token)).send({ reason: text }).expect(200);
    expect(revoked.body.revokedReason).toBe(text);
    const role = await t.http().post('/api/v1/admin/roles').set(bearer(adminToken)).send({ name: 'injection-probe', description: text }).expect(201);
    expect(role.body.description).toBe(text);
    const named = await t.http().post('/api/v1/admin/users').set(bearer(adminToken)).send({ email: uniqueEmail('inj'), name: PAYLOADS[1], password: 'a-long-enough-password' }).expect(201);
    expect((await t.http().get(`/api/v1/admin/users/${named.body.id}`).set(bearer(adminToken)).expect(200)).body.name).toBe(PAYLOADS[1]);
  });

  it('matches search text literally: wildcards, quotes and operators are just characters', async () => {
    const names = [...keysByName.keys()];
    const mismatches: string[] = [];
    for (const q of PAYLOADS) {
      const expected = names.filter((name) => name.toLowerCase().includes(q.toLowerCase())).sort();
      for (const [label, path, query] of [
        ['own keys', '/api/v1/keys', { q, limit: 100 }],
        ['admin keys', '/api/v1/admin/keys', { q, ownerId: user.id, limit: 100 }],
      ] as const) {
        const token = label === 'own keys' ? user.token : adminToken;
        const items = (await t.http().get(path).query(query).set(bearer(token)).expect(200)).body.items as Array<{ name: string }>;
        const actual = items.map((item) => item.name).sort();
        if (JSON.stringify(actual) !== JSON.stringify(expected)) mismatches.push(`${label} q=${q}: ${JSON.stringify(actual)} instead of ${JSON.stringify(expected)}`);
      }
    }
    expect(mismatches).toEqual([]);
    // The wildcards really are in play: % and _ each match some names, and not all of them.
    for (const wildcard of ['%', '_']) {
      const holding = names.filter((name) => name.includes(wildcard)).length;
      expect(holding).toBeGreaterThan(0);
      expect(holding).toBeLessThan(names.length);
    }
  });

  it('answers every free-text filter on every route with 200 or 400, returning only literal matches', async () => {
    const textFilters = routes.operations
      .filter((op) => op.method === 'get')
      .flatMap((op) => op.parameters.filter((p) => p.in === 'query' && p.schema.type === 'string' && !p.schema.enum && !p.schema.format).map((param) => ({ op, param: param.name })));
    expect(textFilters.length).toBeGreaterThanOrEqual(10);
    const problems: string[] = [];
    let literalMatches = 0;
    for (const { op, param } of textFilters) {
      for (const payload of PAYLOADS) {
        const res = await call(t.http, op, realPathValues(op)).query({ [param]: payload }).set(bearer(adminToken)).buffer(true);
        const where = `${describeOp(op)}?${param}=${payload}`;
        if (res.status !== 200 && res.status !== 400) problems.push(`${where} -> ${res.status}`);
        if (res.status !== 200) continue;
        const items: unknown[] = res.headers['content-type']?.startsWith('application/x-ndjson')
          ? textOf(res).split('\n').filter(Boolean).map((line) => JSON.parse(line) as unknown)
          : (res.body.items ?? []);
        for (const item of items) {
          if (!stringsIn(item).some((value) => value.toLowerCase().includes(payload.toLowerCase()))) problems.push(`${where} returned an item without it`);
          else literalMatches++;
        }
      }
    }
    expect(problems).toEqual([]);
    expect(literalMatches).toBeGreaterThan(0);
  });

  it('treats operator objects and arrays as wrong types, not as queries', async () => {
    await t.http().post('/api/v1/auth/login').send({ email: { $gt: '' }, password: { $gt: '' } }).expect(400);
    await t.http().post('/api/v1/auth/login').send({ email: [user.email], password: [user.password] }).expect(400);
    await t.http().post('/api/v1/keys/verify').set(bearer(adminToken)).send({ key: { $ne: null } }).expect(400);
    await t.http().post('/api/v1/keys').set(bearer(user.token)).send({ name: { $gt: '' } }).expect(400);
    await t.http().get('/api/v1/keys?q[$ne]=x').set(bearer(user.token)).expect(400);
    await t.http().get('/api/v1/keys?q=a&q=b').set(bearer(user.token)).expect(400);
  });

  it('still has every table, and an intact audit chain', async () => {
    const users = (await t.http().get('/api/v1/admin/users').query({ q: PAYLOADS[1], limit: 100 }).set(bearer(adminToken)).expect(200)).body.items;
    expect(users.map((u: { name: string }) => u.name)).toContain(PAYLOADS[1]);
    expect((await t.http().get('/api/v1/admin/audit/verify').set(bearer(adminToken)).expect(200)).body).toMatchObject({ ok: true });
  });
});

/** A response's body as text, whatever its content type. */
function textOf(res: { text?: unknown; body?: unknown }): string {
  if (typeof res.text === 'string') return res.text;
  return Buffer.isBuffer(res.body) ? res.body.toString('utf8') : JSON.stringify(res.body ?? '');
}

/** Every string anywhere in a JSON value. */
function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => [key, ...stringsIn(child)]);
}

/** One POST with a raw body and headers of our choosing (supertest would re-encode a Buffer). */
function rawPost(port: number, path: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers: { ...headers, 'Content-Length': String(body.length) } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A raw connection that writes `head`, then `drip` every 100 ms, until the server hangs up; resolves
 * with everything the server said. Gives up (fails) if the server still holds it after 20 s.
 */
function trickle(port: number, head: string, drip?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const dripping = setInterval(() => drip && socket.writable && socket.write(drip), 100);
    const giveUp = setTimeout(() => {
      reject(new Error('The server still held the slow connection after 20 s'));
      socket.destroy();
    }, 20_000);
    socket.on('data', (chunk) => (received += chunk.toString()));
    socket.on('error', () => undefined); // a drip racing the server's hang-up
    socket.on('close', () => {
      clearInterval(dripping);
      clearTimeout(giveUp);
      resolve(received);
    });
    socket.write(head);
  });
}
