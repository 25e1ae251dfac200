import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { AppliedBatches } from './applied-batches';
import { dataSourceOptions, type DatabaseEndpoint } from './data-source-options';
import { EmbeddedPostgres } from './embedded-postgres';
import { runMigrations } from './migration-runner';

const DATABASE_ENDPOINT = Symbol('DATABASE_ENDPOINT');

interface ResolvedEndpoint extends DatabaseEndpoint {
  server?: EmbeddedPostgres;
}

/** Closes the connections before stopping the embedded server they talk to. */
@Injectable()
class DatabaseShutdown implements OnApplicationShutdown {
  constructor(
    @Inject(DATABASE_ENDPOINT) private readonly endpoint: ResolvedEndpoint,
    private readonly moduleRef: ModuleRef,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if (!this.endpoint.server) return;
    const dataSource = this.moduleRef.get(DataSource, { strict: false });
    if (dataSource.isInitialized) await dataSource.destroy();
    await this.endpoint.server.stop();
  }
}

@Module({
  providers: [
    {
      provide: DATABASE_ENDPOINT,
      inject: [AppConfig],
      useFactory: async (config: AppConfig): Promise<ResolvedEndpoint> => {
        if (config.database.url) return { url: config.database.url, poolSize: config.database.poolSize, embedded: false };
        const server = await EmbeddedPostgres.start(config.database.dataDir);
        new Logger('Database').log(`Embedded PostgreSQL (PGlite) in ${config.database.dataDir}`);
        return { url: server.url, poolSize: 1, embedded: true, server };
      },
    },
    DatabaseShutdown,
  ],
  exports: [DATABASE_ENDPOINT],
})
class DatabaseEndpointModule {}

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      imports: [DatabaseEndpointModule],
      inject: [AppConfig, DATABASE_ENDPOINT],
      useFactory: (config: AppConfig, endpoint: ResolvedEndpoint) => ({
        ...dataSourceOptions(endpoint),
        autoLoadEntities: true,
        migrationsRun: config.database.runMigrations,
        retryAttempts: config.production ? 10 : 1,
      }),
      // Migrations run after the pool is up, under a lock shared by all instances, before any
      // repository can see the data source.
      dataSourceFactory: async (options) => {
        const dataSource = await new DataSource({ ...options!, migrationsRun: false }).initialize();
        if (options!.migrationsRun) await runMigrations(dataSource);
        return dataSource;
      },
    }),
  ],
  providers: [AppliedBatches],
  exports: [AppliedBatches],
})
export class DatabaseModule {}
