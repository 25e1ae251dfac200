import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { AppConfig } from './src/config/app-config';
import { dataSourceOptions } from './src/database/data-source-options';

/** The DataSource used by the TypeORM CLI (`npm run migration:*`). The app builds its own at boot. */
const config = AppConfig.fromEnvironment();
if (!config.database.url) {
  throw new Error(
    'The migration CLI needs DATABASE_URL. The embedded database migrates itself when the service starts.',
  );
}

export default new DataSource({
  ...dataSourceOptions({ url: config.database.url, poolSize: 2, embedded: false }),
  entities: [`${__dirname}/src/**/*.entity.{ts,js}`],
});
