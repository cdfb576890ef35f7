import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  fields,
  loadConfig,
  loadDotEnvFile,
  paymentServiceConfigSchema,
  redactConfig,
  sharedConfigSchema,
} from '../src/index.js';

describe('loadConfig', () => {
  it('applies defaults and returns a frozen, typed object', () => {
    const config = loadConfig('test', sharedConfigSchema, {});
    expect(config.EVENT_TRANSPORT).toBe('memory');
    expect(config.EVENT_MAX_DELIVERY_COUNT).toBe(10);
    expect(config.DATABASE_URL).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('coerces numbers and booleans from strings', () => {
    const config = loadConfig('test', sharedConfigSchema, { DATABASE_POOL_MAX: '25', RUN_MIGRATIONS: 'true' });
    expect(config.DATABASE_POOL_MAX).toBe(25);
    expect(config.RUN_MIGRATIONS).toBe(true);
  });

  it('treats empty values as unset', () => {
    const config = loadConfig('test', sharedConfigSchema, { DATABASE_URL: '', LOG_LEVEL: '  ' });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.LOG_LEVEL).toBe('info');
  });

  it('lists every missing or invalid variable in one error, without values', () => {
    let error: unknown;
    try {
      loadConfig('payment-service', paymentServiceConfigSchema, {
        PORT: 'seventy',
        STRIPE_WEBHOOK_SECRET: '',
        DATABASE_URL: 'mysql://root:hunter2@db/x',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.map((p) => p.variable).sort();
    expect(problems).toEqual(['DATABASE_URL', 'PORT', 'STRIPE_WEBHOOK_SECRET', 'SUMIT_WEBHOOK_TOKEN']);
    const message = (error as ConfigError).message;
    expect(message).toContain('payment-service');
    expect(message).toContain('SUMIT_WEBHOOK_TOKEN: missing');
    expect(message).toContain('PORT: invalid');
    expect(message).not.toContain('hunter2');
  });

  it('requires Service Bus settings only when that transport is selected', () => {
    expect(() => loadConfig('test', sharedConfigSchema, { EVENT_TRANSPORT: 'servicebus' })).toThrow(
      /SERVICEBUS_CONNECTION_STRING or SERVICEBUS_NAMESPACE/,
    );
    expect(
      loadConfig('test', sharedConfigSchema, {
        EVENT_TRANSPORT: 'servicebus',
        SERVICEBUS_NAMESPACE: 'ns.servicebus.windows.net',
      }).EVENT_TRANSPORT,
    ).toBe('servicebus');
    expect(() => loadConfig('test', sharedConfigSchema, { EVENT_TRANSPORT: 'kafka' })).toThrow(/memory or servicebus/);
  });

  it('redacts secrets when a config is printed', () => {
    const config = loadConfig('test', sharedConfigSchema, { DATABASE_URL: 'postgres://u:p@h/db' });
    const printed = redactConfig(config);
    expect(printed.DATABASE_URL).toBe('(set)');
    expect(printed.SERVICEBUS_CONNECTION_STRING).toBeUndefined();
    expect(printed.LOG_LEVEL).toBe('info');
  });
});

describe('loadDotEnvFile', () => {
  it('reads .env without overriding the real environment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'astria-env-'));
    writeFileSync(join(dir, '.env'), 'LOG_LEVEL=debug\nPORT=9999\n');
    const env: Record<string, string | undefined> = { PORT: '7071' };
    expect(loadDotEnvFile(dir, env)).toBe(join(dir, '.env'));
    expect(env.LOG_LEVEL).toBe('debug');
    expect(env.PORT).toBe('7071');
  });

  it('is a no-op without a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'astria-env-'));
    expect(loadDotEnvFile(dir, {})).toBeUndefined();
  });
});

describe('list fields', () => {
  it('split on commas, trimmed, without empty items', () => {
    expect(fields.splitList(' a, b,,c ,')).toEqual(['a', 'b', 'c']);
    expect(fields.commaList().parse(undefined)).toEqual([]);
    expect(fields.commaList().parse('stop now, ביטול')).toEqual(['stop now', 'ביטול']);
  });
});
