import type { FastifyServerOptions } from 'fastify';
import pino, { type BaseLogger, type LoggerOptions } from 'pino';
import { maskPhone, PHONE_LOG_PATHS, redactUrl, SECRET_LOG_PATHS } from './redaction.js';

/**
 * The one logger type every package and service takes: pino's logger interface (`level`, `fatal` …
 * `trace`, `silent`). A pino instance (createLogger) and Fastify's `app.log` / `request.log` both fit.
 * pino's full `Logger` type (and BaseLogger's `msgPrefix`) would demand pino-instance extras Fastify's logger does not declare.
 */
export type Logger = Pick<BaseLogger, 'level' | 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'>;

/** A logger that writes nothing (tests, benchmarks). */
export function silentLogger(): pino.Logger {
  return pino({ enabled: false });
}

export function loggerOptions(service: string, level: string): LoggerOptions {
  return {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: [...SECRET_LOG_PATHS, ...PHONE_LOG_PATHS],
      censor: (value, path) => {
        const last = path[path.length - 1] ?? '';
        return PHONE_LOG_PATHS.some((p) => p === last || p.endsWith(`.${last}`)) ? maskPhone(value) : '[redacted]';
      },
    },
    serializers: {
      req(request: { method: string; url: string; id: string; ip?: string }) {
        return { id: request.id, method: request.method, url: redactUrl(request.url) };
      },
      res(reply: { statusCode: number }) {
        return { statusCode: reply.statusCode };
      },
      err: pino.stdSerializers.err,
    },
  };
}

/** A standalone logger (CLIs, workers) with the same redaction as the services. */
export function createLogger(service: string, level = 'info'): pino.Logger {
  return pino(loggerOptions(service, level));
}

export type ServiceLoggerOption = FastifyServerOptions['logger'];
