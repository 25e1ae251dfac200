import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { TypeOrmLogger } from './typeorm-logger';

export interface DatabaseEndpoint {
  url: string;
  poolSize: number;
  /** True for the in-process PGlite: single instance, one connection. */
  embedded: boolean;
}

/** Options shared by the application and the TypeORM CLI (`ormconfig.ts`). Schema by migrations only. */
export function dataSourceOptions(endpoint: DatabaseEndpoint): DataSourceOptions {
  return {
    type: 'postgres',
    url: endpoint.url,
    synchronize: false,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    logging: ['migration', 'warn'],
    logger: new TypeOrmLogger(),
    maxQueryExecutionTime: 1000,
    extra: {
      max: endpoint.poolSize,
      // Fail fast when the server is unreachable instead of queueing requests forever.
      connectionTimeoutMillis: endpoint.embedded ? 30_000 : 5_000,
      idleTimeoutMillis: 30_000,
      application_name: 'keyward',
    },
  };
}
