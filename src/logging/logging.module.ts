import { Module, RequestMethod } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { assignRequestId } from '../common/http/request-id';
import { AppConfig } from '../config/app-config';

/** Paths pino censors wherever they appear, as a second line behind the serializers below. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.newPassword',
  '*.currentPassword',
  '*.key',
  '*.secret',
  '*.accessToken',
  '*.plaintext',
];

/** Structured JSON logs, one line per request with its id; secrets never logged. */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        // The verification hot paths are not access-logged: per-request logging would cost them a
        // large share of their throughput. Their outcomes go to usage counters instead, and their
        // errors are still logged by the exception filter.
        exclude: [
          { path: 'keys/verify', method: RequestMethod.POST },
          { path: 'auth/check', method: RequestMethod.GET },
        ],
        pinoHttp: {
          level: config.http.logLevel,
          genReqId: (req: IncomingMessage & { id?: string }, res: ServerResponse) => req.id ?? assignRequestId(req, res),
          redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
          // Probes and scrapes would drown everything else.
          autoLogging: { ignore: (req: IncomingMessage) => /^\/(health|metrics)\b/.test(req.url ?? '') },
          customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
          serializers: {
            req: (req: { id: string; method: string; url: string; headers: Record<string, string>; remoteAddress?: string }) => ({
              id: req.id,
              method: req.method,
              // Only the path: query strings are the caller's to keep out of logs.
              path: req.url.split('?')[0],
              userAgent: req.headers['user-agent'],
              remoteAddress: req.remoteAddress,
            }),
            res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
          },
        },
      }),
    }),
  ],
})
export class LoggingModule {}
