import type { KnownSecret } from './leak-scanner';

/**
 * The fixed secrets the e2e suite runs with, kept apart from test-app.ts so the end-of-run log scan
 * (test/support/log-capture.ts) can load them without loading the application.
 */

export const ADMIN_PASSWORD = 'bootstrap-admin-password-1';

/** Fixed secrets so tests can assert they never appear in output. */
export const TEST_SECRETS = {
  KEY_HASH_PEPPER: 'test-pepper-0123456789abcdef0123456789abcdef',
  JWT_SECRET: 'test-jwt-secret-0123456789abcdef0123456789',
  SECRETS_ENCRYPTION_KEY: '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff',
};

/** The password `createUser` (auth-helpers.ts) gives a user. */
export function testUserPassword(email: string): string {
  return `pw-${email}-long-enough`;
}

/**
 * What must never show up in a log line, audit record or webhook payload, beyond what LeakScanner
 * recognises by shape (API keys, JWTs, webhook secrets, secret-named fields).
 */
export const SUITE_SECRETS: KnownSecret[] = [
  ...Object.entries(TEST_SECRETS).map(([name, value]) => ({ label: name, match: value })),
  { label: 'bootstrap admin password', match: ADMIN_PASSWORD },
  { label: 'test user password', match: /pw-[^\s"'\\]+?-long-enough/ },
];
