import type TestAgent from 'supertest/lib/agent';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from './test-app';
import { testUserPassword } from './test-secrets';

let counter = 0;

export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}@example.test`;
}

export async function login(http: () => TestAgent, email: string, password: string): Promise<string> {
  const res = await http().post('/api/v1/auth/login').send({ email, password }).expect(200);
  return res.body.accessToken as string;
}

export function loginAsAdmin(http: () => TestAgent): Promise<string> {
  return login(http, ADMIN_EMAIL, ADMIN_PASSWORD);
}

export interface CreatedUser {
  id: string;
  email: string;
  password: string;
  token: string;
}

/** Creates a user through the admin API and signs them in. */
export async function createUser(http: () => TestAgent, adminToken: string, roles: string[] = ['user']): Promise<CreatedUser> {
  const email = uniqueEmail(roles.join('-') || 'none');
  const password = testUserPassword(email);
  const res = await http()
    .post('/api/v1/admin/users')
    .set('Authorization', `Bearer ${adminToken}`)
    .send({ email, name: 'Test User', password, roles })
    .expect(201);
  return { id: res.body.id, email, password, token: await login(http, email, password) };
}

export function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}
