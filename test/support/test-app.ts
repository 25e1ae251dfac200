import type { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { createApp } from '../../src/app.factory';
import type { Clock } from '../../src/common/time/clock';
import { AppConfig } from '../../src/config/app-config';
import { testLogging } from './log-capture';
import { TestDatabase } from './test-database';
import { ADMIN_PASSWORD, TEST_SECRETS } from './test-secrets';

export const ADMIN_EMAIL = 'admin@keyward.test';
export { ADMIN_PASSWORD, TEST_SECRETS } from './test-secrets';

/** The storage one or more app instances share: a temp data dir, or a fresh PostgreSQL database. */
export class TestStorage {
  private constructor(
    readonly env: Record<string, string>,
    private readonly cleanup: () => Promise<void>,
  ) {}

  static async create(): Promise<TestStorage> {
    const dataDir = mkdtempSync(join(tmpdir(), 'keyward-test-'));
    // Instances on one storage share Redis state; different test files never do.
    const redisKeyPrefix = `keyward-test-${randomBytes(4).toString('hex')}:`;
    const removeDir = async () => rmSync(dataDir, { recursive: true, force: true });
    const serverUrl = process.env.DATABASE_URL;
    if (!serverUrl) return new TestStorage({ KEYWARD_DATA_DIR: dataDir, REDIS_KEY_PREFIX: redisKeyPrefix }, removeDir);
    const database = await TestDatabase.create(serverUrl);
    return new TestStorage({ KEYWARD_DATA_DIR: dataDir, DATABASE_URL: database.url, REDIS_KEY_PREFIX: redisKeyPrefix }, async () => {
      await database.drop();
      await removeDir();
    });
  }

  destroy(): Promise<void> {
    return this.cleanup();
  }
}

export interface TestApp {
  app: INestApplication;
  config: AppConfig;
  http: () => TestAgent;
  close: () => Promise<void>;
}

export async function startApp(storage: TestStorage, overrides: Record<string, string> = {}, clock?: Clock): Promise<TestApp> {
  // Every line goes to this run's capture, scanned for secrets at the end (log-capture.ts).
  const logging = testLogging();
  const config = AppConfig.fromEnvironment({
    NODE_ENV: 'test',
    LOG_LEVEL: logging.level,
    BCRYPT_COST: '4',
    THROTTLE_LIMIT: '100000',
    THROTTLE_LOGIN_LIMIT: '1000',
    KEYWARD_BOOTSTRAP_ADMIN_EMAIL: ADMIN_EMAIL,
    KEYWARD_BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
    REDIS_URL: process.env.REDIS_URL ?? '',
    ...TEST_SECRETS,
    ...storage.env,
    ...overrides,
  });
  const app = await createApp(config, clock, logging.destination);
  if (logging.recordCredentials) app.use(logging.recordCredentials);
  await app.init();
  const server = app.getHttpServer();
  return { app, config, http: () => request(server), close: () => app.close() };
}

/** One app on its own storage, for the common single-instance spec. */
export async function startIsolatedApp(overrides: Record<string, string> = {}, clock?: Clock): Promise<TestApp & { storage: TestStorage }> {
  const storage = await TestStorage.create();
  const testApp = await startApp(storage, overrides, clock);
  return {
    ...testApp,
    storage,
    close: async () => {
      await testApp.close();
      await storage.destroy();
    },
  };
}
