import { Injectable } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { JobRunner } from '../jobs/job-runner';
import { RedisService } from '../redis/redis.service';
import type { SystemInfoDto } from './dto/system-info.dto';

const STARTED_AT = new Date();

/** What an operator needs at a glance. Never includes a secret or a connection string. */
@Injectable()
export class SystemService {
  private readonly version = readVersion();

  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly redis: RedisService,
    private readonly jobs: JobRunner,
  ) {}

  async info(): Promise<SystemInfoDto> {
    const { keys, audit, auth, usage } = this.config;
    return {
      version: this.version,
      node: process.version,
      startedAt: STARTED_AT.toISOString(),
      uptimeSeconds: Math.round(process.uptime()),
      database: { mode: this.config.database.url ? 'postgres' : 'embedded', status: (await this.databaseUp()) ? 'up' : 'down' },
      redis: { configured: this.redis.configured, status: this.redis.configured ? (this.redis.available ? 'up' : 'down') : 'not configured' },
      config: {
        keysEnabled: keys.enabled,
        keyPrefix: keys.prefix,
        secretBytes: keys.secretBytes,
        hashAlgorithm: keys.hashAlgorithm,
        defaultTtlSeconds: keys.defaultTtlSeconds,
        maxTtlSeconds: keys.maxTtlSeconds,
        rotationIntervalSeconds: keys.rotationIntervalSeconds,
        storeSecretsServerSide: keys.storeSecretsServerSide,
        allowedIpRanges: keys.allowedIpRanges.length,
        rateLimit: keys.rateLimit,
        cache: keys.cache,
        auditLevel: audit.level,
        tokenType: auth.tokenType,
        accessTokenTtlSeconds: auth.accessTokenTtlSeconds,
        usageFlushIntervalMs: usage.flushIntervalMs,
      },
      jobs: await this.jobs.status().catch(() => []),
    };
  }

  private async databaseUp(): Promise<boolean> {
    try {
      await this.dataSource.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }
}

function readVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
