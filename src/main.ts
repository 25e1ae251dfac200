import 'reflect-metadata';
import { AppConfig } from './config/app-config';
import { createApp } from './app.factory';

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = AppConfig.fromEnvironment();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
  const app = await createApp(config);
  await app.listen(config.http.port, config.http.host);
}

main().catch((error: unknown) => {
  process.stderr.write(`Keyward failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
