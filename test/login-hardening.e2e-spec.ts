import { bearer, uniqueEmail } from './support/auth-helpers';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startIsolatedApp, type TestApp } from './support/test-app';

/**
 * The two brakes on password guessing, and how they meet (README, "Security model"):
 *  - the per-address login throttle (THROTTLE_LOGIN_LIMIT per THROTTLE_WINDOW) counts every request
 *    to the sign-in route, and separately to the password-change route, from one client address,
 *    whatever the account or the outcome, and refuses with 429 before any credential is looked at;
 *  - the account lockout (LOGIN_MAX_FAILURES consecutive wrong passwords, from any addresses) refuses
 *    the account with 423 for LOGIN_LOCKOUT_DURATION, even with the right password.
 * Client addresses come from X-Forwarded-For (TRUST_PROXY=true), so every test has addresses of its own.
 */
const LIMIT_PER_ADDRESS = 4;
const MAX_FAILURES = 3;
const LOCKOUT_SECONDS = 900;
const WRONG = 'not-the-password';

describe('login hardening: lockout, per-address throttling and password changes (e2e)', () => {
  let t: TestApp;
  let adminToken: string;
  let lastOctet = 0;
  const freshAddress = () => `198.51.100.${++lastOctet}`;

  const login = (address: string, email: string, password: string) =>
    t.http().post('/api/v1/auth/login').set('X-Forwarded-For', address).send({ email, password });
  const changePassword = (address: string, token: string, currentPassword: string, newPassword = 'a-brand-new-password') =>
    t.http().post('/api/v1/auth/password').set('X-Forwarded-For', address).set(bearer(token)).send({ currentPassword, newPassword });
  const lockedUntil = async (id: string) => (await t.http().get(`/api/v1/admin/users/${id}`).set(bearer(adminToken)).expect(200)).body.lockedUntil;
  const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { ver: number; exp: number };

  async function newUser(): Promise<{ id: string; email: string; password: string }> {
    const email = uniqueEmail('hardening');
    const password = `pw-${email}`;
    const res = await t.http().post('/api/v1/admin/users').set(bearer(adminToken)).send({ email, name: 'Hardening', password }).expect(201);
    return { id: res.body.id, email, password };
  }

  beforeAll(async () => {
    t = await startIsolatedApp({
      TRUST_PROXY: 'true',
      THROTTLE_LOGIN_LIMIT: String(LIMIT_PER_ADDRESS),
      THROTTLE_WINDOW: '600',
      LOGIN_MAX_FAILURES: String(MAX_FAILURES),
      LOGIN_LOCKOUT_DURATION: String(LOCKOUT_SECONDS),
    });
    adminToken = (await login('192.0.2.1', ADMIN_EMAIL, ADMIN_PASSWORD).expect(200)).body.accessToken;
  });
  afterAll(() => t?.close());

  it('locks an account after consecutive wrong passwords spread over many addresses, for the configured time', async () => {
    const user = await newUser();
    const bystander = await newUser();
    const addresses = Array.from({ length: MAX_FAILURES }, freshAddress);
    for (const address of addresses.slice(0, -1)) await login(address, user.email, WRONG).expect(401);
    const lockedAt = Date.now();
    expect((await login(addresses.at(-1)!, user.email, WRONG).expect(423)).body.code).toBe('ACCOUNT_LOCKED');

    // Even the right password, from an address that never failed.
    const refused = await login(freshAddress(), user.email, user.password).expect(423);
    expect(refused.body.accessToken).toBeUndefined();
    const until = Date.parse(refused.body.details.lockedUntil);
    expect(until).toBeGreaterThan(lockedAt + (LOCKOUT_SECONDS - 60) * 1000);
    expect(until).toBeLessThan(Date.now() + (LOCKOUT_SECONDS + 60) * 1000);
    // The lock is the account's, not the addresses': another account signs in from them.
    await login(addresses[0], bystander.email, bystander.password).expect(200);
  });

  it('throttles one address spraying many accounts before any of them locks', async () => {
    const address = freshAddress();
    const users = [];
    for (let i = 0; i <= LIMIT_PER_ADDRESS; i++) users.push(await newUser());
    for (const user of users.slice(0, LIMIT_PER_ADDRESS)) await login(address, user.email, WRONG).expect(401);

    // Past the limit even a right password is refused, before it is checked.
    const last = users[LIMIT_PER_ADDRESS];
    const refused = await login(address, last.email, last.password).expect(429);
    expect(refused.body).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED' });
    expect(refused.body.accessToken).toBeUndefined();
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.headers['ratelimit-limit']).toBe(String(LIMIT_PER_ADDRESS));

    for (const user of users) {
      expect(await lockedUntil(user.id)).toBeNull();
      await login(freshAddress(), user.email, user.password).expect(200);
    }
  });

  it('never lets a throttled attempt reach the account: it neither counts toward the lockout nor signs in', async () => {
    const user = await newUser();
    const address = freshAddress();
    for (let i = 1; i < MAX_FAILURES; i++) await login(address, user.email, WRONG).expect(401);
    // Unknown emails use up the rest of the address's budget, and lock nothing.
    for (let i = MAX_FAILURES - 1; i < LIMIT_PER_ADDRESS; i++) await login(address, uniqueEmail('nobody'), WRONG).expect(401);
    // One more wrong password would lock the account; throttled, it does not count.
    await login(address, user.email, WRONG).expect(429);
    await login(address, user.email, user.password).expect(429);
    expect(await lockedUntil(user.id)).toBeNull();

    // From elsewhere the right password works, and resets the count: locking now takes MAX_FAILURES again.
    await login(freshAddress(), user.email, user.password).expect(200);
    const elsewhere = freshAddress();
    for (let i = 1; i < MAX_FAILURES; i++) await login(elsewhere, user.email, WRONG).expect(401);
    await login(elsewhere, user.email, WRONG).expect(423);
  });

  it("still counts a locked account's attempts against the address", async () => {
    const user = await newUser();
    for (let i = 0; i < MAX_FAILURES; i++) await login(freshAddress(), user.email, WRONG);
    expect(await lockedUntil(user.id)).not.toBeNull();
    const address = freshAddress();
    for (let i = 0; i < LIMIT_PER_ADDRESS; i++) await login(address, user.email, user.password).expect(423);
    await login(address, user.email, user.password).expect(429);
  });

  it('ends every access token issued before a password change, and nothing else', async () => {
    const user = await newUser();
    const first = (await login(freshAddress(), user.email, user.password).expect(200)).body.accessToken as string;
    const second = (await login(freshAddress(), user.email, user.password).expect(200)).body.accessToken as string;
    const key = (await t.http().post('/api/v1/keys').set(bearer(first)).send({ name: 'survives the change' }).expect(201)).body.key as string;

    await changePassword(freshAddress(), first, user.password).expect(204);
    for (const token of [first, second]) {
      // Well signed and unexpired: refused because its token version is no longer the user's.
      expect(claimsOf(token).exp * 1000).toBeGreaterThan(Date.now());
      await t.http().get('/api/v1/auth/me').set(bearer(token)).expect(401);
    }
    await login(freshAddress(), user.email, user.password).expect(401);
    const fresh = (await login(freshAddress(), user.email, 'a-brand-new-password').expect(200)).body.accessToken as string;
    expect(claimsOf(fresh).ver).toBe(claimsOf(first).ver + 1);
    await t.http().get('/api/v1/auth/me').set(bearer(fresh)).expect(200);
    // API keys are credentials of their own, not sessions: they work until revoked.
    await t.http().get('/api/v1/auth/me').set('X-API-Key', key).expect(200);
  });

  it('changes nothing on a wrong current password, and throttles guesses per address like sign-ins', async () => {
    const user = await newUser();
    const token = (await login(freshAddress(), user.email, user.password).expect(200)).body.accessToken as string;
    const address = freshAddress();
    for (let i = 0; i < LIMIT_PER_ADDRESS; i++) {
      const res = await changePassword(address, token, WRONG).expect(400);
      expect(res.body.details).toEqual([{ field: 'currentPassword', messages: ['is wrong'] }]);
    }
    await changePassword(address, token, user.password).expect(429);

    // Nothing moved: the token, the password, and (more guesses than LOGIN_MAX_FAILURES) no lock.
    await t.http().get('/api/v1/auth/me').set(bearer(token)).expect(200);
    expect(await lockedUntil(user.id)).toBeNull();
    await login(freshAddress(), user.email, user.password).expect(200);
    await changePassword(freshAddress(), token, user.password).expect(204);
  });
});
