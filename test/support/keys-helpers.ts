import type TestAgent from 'supertest/lib/agent';
import { bearer } from './auth-helpers';

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

export async function verify(http: () => TestAgent, callerToken: string, body: Record<string, unknown>) {
  const res = await http().post('/api/v1/keys/verify').set(bearer(callerToken)).send(body).expect(200);
  return res.body as { valid: boolean; code?: string; [field: string]: unknown };
}
