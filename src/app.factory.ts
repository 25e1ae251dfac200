import { RequestMethod, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import type { Server } from 'node:http';
import { Logger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module';
import { API_KEY_SECURITY, BEARER_SECURITY } from './common/auth/auth.decorators';
import { AllExceptionsFilter } from './common/http/all-exceptions.filter';
import { inputGuardMiddleware } from './common/http/input-guard';
import { requestContextMiddleware } from './common/http/request-context';
import { requestIdMiddleware } from './common/http/request-id';
import { createValidationPipe } from './common/http/validation.pipe';
import type { Clock } from './common/time/clock';
import { AppConfig } from './config/app-config';

export const API_PREFIX = 'api/v1';

/**
 * Builds the fully configured application (used by main.ts and by the e2e tests, which may bring a
 * clock, and a log destination in place of stdout).
 */
export async function createApp(config: AppConfig, clock?: Clock, logDestination?: DestinationStream): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config, clock, logDestination), {
    bufferLogs: true,
    bodyParser: false,
    // Start-up failures reach the caller (main.ts prints one line) instead of aborting the process.
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  app.set('trust proxy', config.http.trustProxy);
  app.disable('x-powered-by');
  // Answers are per credential and never cached; an ETag would cost a hash of every response body.
  app.set('etag', false);
  app.use(requestIdMiddleware);
  app.use(helmet({ contentSecurityPolicy: false }));
  app.useBodyParser('json', { limit: config.http.bodyLimit });
  app.use(inputGuardMiddleware);
  app.use(requestContextMiddleware);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter());
  app.setGlobalPrefix(API_PREFIX, {
    exclude: [
      { path: 'health/*path', method: RequestMethod.ALL },
      { path: 'metrics', method: RequestMethod.ALL },
    ],
  });
  app.enableShutdownHooks();
  applyServerTimeouts(app.getHttpServer() as Server, config.http.timeouts);
  setUpOpenApi(app);
  return app;
}

/** Slow clients (trickled headers or body) get a 408 and lose the connection instead of holding it. */
function applyServerTimeouts(server: Server, timeouts: AppConfig['http']['timeouts']): void {
  server.headersTimeout = timeouts.headersMs;
  server.requestTimeout = timeouts.requestMs;
  server.keepAliveTimeout = timeouts.keepAliveMs;
  // Node enforces the first two on a timer (30 s by default, read when the server starts listening),
  // so check often enough for the configured values to hold.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.min(30_000, Math.max(50, Math.floor(timeouts.headersMs / 4)));
}

function setUpOpenApi(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Keyward')
      .setDescription('API key management and authentication service')
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'User access token or API key' }, BEARER_SECURITY)
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'API key' }, API_KEY_SECURITY)
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
