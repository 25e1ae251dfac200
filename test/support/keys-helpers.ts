import type TestAgent from 'supertest/lib/agent';
import { bearer } from './auth-helpers';
import { sleep } from './service-process';

export interface CreatedKey {
  id: string;
  key: string;
  body: Record<string, unknown>;
}

export async function createKey(http: () => TestAgent, token: string, body: Record<string, unknown> = {}): Promise<CreatedKey> {
  const res = await http()
    .post('/api/v1/keys')
    .set(bearer(token))
    .send({ name: 'test key', ...body })
    .expect(201);
  return { id: res.body.id, key: res.body.key, body: res.body };
}

/** The key with its last character changed, so its checksum no longer matches. */
export function mistyped(key: string): string {
  return key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
}

export type VerifyAnswer = { valid: boolean; code?: string; [field: string]: unknown };

export async function verify(http: () => TestAgent, callerToken: string, body: Record<string, unknown>): Promise<VerifyAnswer> {
  const res = await http().post('/api/v1/keys/verify').set(bearer(callerToken)).send(body).expect(200);
  return res.body as VerifyAnswer;
}

/**
 * Verifies every 20 ms until `done` holds or `timeoutMs` has passed, for changes that reach the
 * answer in the background (a reload, another instance's invalidation); returns the last answer.
 */
export async function verifyUntil(
  http: () => TestAgent,
  callerToken: string,
  body: Record<string, unknown>,
  done: (answer: VerifyAnswer) => boolean,
  timeoutMs = 1000,
): Promise<VerifyAnswer> {
  const deadline = Date.now() + timeoutMs;
  let answer = await verify(http, callerToken, body);
  while (!done(answer) && Date.now() < deadline) {
    await sleep(20);
    answer = await verify(http, callerToken, body);
  }
  return answer;
}
