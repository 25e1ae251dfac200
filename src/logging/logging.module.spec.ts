import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pinoHttp, type HttpLogger } from 'pino-http';
import type { AppConfig } from '../config/app-config';
import { pinoHttpOptions } from './logging.module';

/** Secrets as a request or a careless log call would carry them; none may reach a log line. */
const SECRETS = {
  bearer: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl-bearer',
  apiKey: 'kw_live_secretApiKeyValue0000000000000000000000',
  cookie: 'session=secret-session-cookie',
  setCookie: 'session=secret-set-cookie; HttpOnly',
  password: 'secret-password-value',
  newPassword: 'secret-new-password-value',
  currentPassword: 'secret-current-password-value',
  key: 'secret-key-value',
  secret: 'secret-secret-value',
  token: 'secret-token-value',
  accessToken: 'secret-access-token-value',
  refreshToken: 'secret-refresh-token-value',
  plaintext: 'secret-plaintext-value',
  query: 'secret-query-value',
};

describe('logging redaction', () => {
  const lines: string[] = [];
  let http: HttpLogger;
  let server: Server;

  beforeAll(async () => {
    http = pinoHttp(pinoHttpOptions({ http: { logLevel: 'trace' } } as AppConfig), { write: (line: string) => lines.push(line) });
    server = createServer((req, res) => {
      http(req, res);
      res.setHeader('Set-Cookie', SECRETS.setCookie);
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    lines.length = 0;
  });

  function expectNoSecret(): void {
    expect(lines.length).toBeGreaterThan(0);
    const text = lines.join('');
    for (const [name, value] of Object.entries(SECRETS)) {
      if (text.includes(value)) throw new Error(`${name} reached the log: ${text}`);
    }
  }

  it('keeps credentials, cookies, query strings and bodies out of the access log', async () => {
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login?key=${SECRETS.query}`, {
      method: 'POST',
      headers: { Authorization: SECRETS.bearer, 'X-API-Key': SECRETS.apiKey, Cookie: SECRETS.cookie, 'User-Agent': 'redaction-spec' },
      body: JSON.stringify({ email: 'a@b.c', password: SECRETS.password }),
    });
    await res.text();
    expectNoSecret();
    expect(JSON.parse(lines[0])).toMatchObject({ req: { method: 'POST', path: '/api/v1/auth/login', userAgent: 'redaction-spec' }, res: { statusCode: 200 } });
  });

  it.each([
    ['at the top level (a Nest Logger call with an object)', { ...fields(), context: 'Test' }],
    ['one level down', { body: fields(), dto: fields() }],
    ['in a headers object', { headers: headers(), req: { headers: headers() }, res: { headers: { 'set-cookie': SECRETS.setCookie } } }],
  ])('censors secret fields %s', (_name, entry) => {
    http.logger.info(entry, 'careless');
    expectNoSecret();
    expect(lines[0]).toContain('[REDACTED]');
  });

  it('logs a failed query without the values bound to it', () => {
    const error = Object.assign(new Error('duplicate key value violates unique constraint'), {
      query: 'INSERT INTO "users" ("email", "password_hash") VALUES ($1, $2)',
      parameters: ['a@b.c', SECRETS.password],
    });
    http.logger.error({ err: error }, 'Unhandled error');
    expectNoSecret();
    expect(JSON.parse(lines[0]).err).toMatchObject({ message: error.message, query: error.query });
  });
});

function fields(): Record<string, string> {
  const { password, newPassword, currentPassword, key, secret, token, accessToken, refreshToken, plaintext } = SECRETS;
  return { password, newPassword, currentPassword, key, secret, token, accessToken, refreshToken, plaintext };
}

function headers(): Record<string, string> {
  return { authorization: SECRETS.bearer, 'x-api-key': SECRETS.apiKey, cookie: SECRETS.cookie };
}
