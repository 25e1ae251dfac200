import { DynamicModule, Module, RequestMethod } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { stdSerializers, type DestinationStream } from 'pino';
import type { Options } from 'pino-http';
import { assignRequestId } from '../common/http/request-id';
import { AppConfig } from '../config/app-config';

/**
 * Fields whose values never reach a log line: censored at the top level (where a Nest `Logger` call
 * with an object puts them) and one level down.
 */
const SECRET_FIELDS = ['password', 'newPassword', 'currentPassword', 'key', 'secret', 'token', 'accessToken', 'refreshToken', 'plaintext'];
const CREDENTIAL_HEADERS = ['.authorization', '["x-api-key"]', '.cookie', '["set-cookie"]'];

/** Paths pino censors wherever they appear, as a second line behind the serializers below. */
export const REDACTED_PATHS = [
  ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`]),
  ...['headers', '*.headers'].flatMap((headers) => CREDENTIAL_HEADERS.map((name) => headers + name)),
];

/** Structured JSON logs, one line per request with its id; secrets never logged. */
@Module({})
export class LoggingModule {
  /**
   * Logs go to stdout. `destination` replaces it: the e2e suite writes every line to a file and
   * scans it for leaked secrets (test/support/log-capture.ts). Production passes nothing.
   */
  static register(destination?: DestinationStream): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => {
            const options = pinoHttpOptions(config);
            return {
              // The verification hot paths are not access-logged: per-request logging would cost them a
              // large share of their throughput. Their outcomes go to usage counters instead, and their
              // errors are still logged by the exception filter.
              exclude: [
                { path: 'keys/verify', method: RequestMethod.POST },
                { path: 'auth/check', method: RequestMethod.GET },
              ],
              pinoHttp: destination ? [options, destination] : options,
            };
          },
        }),
      ],
    };
  }
}

/** The logger's options: level, request ids, redaction and the request/response serializers. */
export function pinoHttpOptions(config: AppConfig): Options {
  return {
    level: config.http.logLevel,
    genReqId: (req, res) => req.id ?? assignRequestId(req, res),
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    // Probes and scrapes would drown everything else.
    autoLogging: { ignore: (req: IncomingMessage) => /^\/(health|metrics)\b/.test(req.url ?? '') },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    serializers: {
      // Tolerates objects that are not requests: a log call must never throw.
      req: (req: { id: string; method: string; url?: string; headers?: Record<string, string>; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        // Only the path: query strings are the caller's to keep out of logs.
        path: req.url?.split('?')[0],
        userAgent: req.headers?.['user-agent'],
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      err: withoutQueryParameters,
    },
  };
}

/**
 * Errors as pino serializes them, minus the bound values of a failed query (TypeORM's
 * `QueryFailedError.parameters`): they can hold password hashes, key hashes and encrypted secrets.
 */
function withoutQueryParameters(error: Error): ReturnType<typeof stdSerializers.err> {
  const serialized = stdSerializers.err(error);
  delete serialized.parameters;
  return serialized;
}
