import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  parsePgbenchOutput,
  peakRssMb,
  percentile,
  processCpuMs,
  signedWebhook,
  statusNotification,
  summarize,
  textNotification,
} from '../src/index.js';

describe('percentile', () => {
  it.each([
    { values: [], p: 50, expected: Number.NaN },
    { values: [7], p: 99, expected: 7 },
    { values: [1, 2, 3, 4], p: 50, expected: 2 },
    { values: Array.from({ length: 100 }, (_, i) => i + 1), p: 99, expected: 99 },
    { values: Array.from({ length: 100 }, (_, i) => i + 1), p: 100, expected: 100 },
  ])('p$p of $values.length values is $expected', ({ values, p, expected }) => {
    expect(percentile(values, p)).toBe(expected);
  });

  it('summarize sorts first', () => {
    expect(summarize([3, 1, 2])).toEqual({ count: 3, p50: 2, p99: 3, max: 3 });
  });
});

describe('parsePgbenchOutput', () => {
  it('reads tps without the connection time, the average latency and the counts', () => {
    const output = [
      'number of transactions actually processed: 935',
      'number of failed transactions: 0 (0.000%)',
      'latency average = 31.312 ms',
      'initial connection time = 189.275 ms',
      'tps = 319.365723 (without initial connection time)',
    ].join('\n');
    expect(parsePgbenchOutput(output)).toEqual({ tps: 319, latencyAvgMs: 31.312, transactions: 935, failed: 0 });
  });

  it('throws when pgbench printed no tps', () => {
    expect(() => parsePgbenchOutput('connection to server failed')).toThrow(/no tps/);
  });
});

describe('signed webhooks', () => {
  it('escapes non-ASCII like Meta and signs those exact bytes', () => {
    const { body, headers } = signedWebhook('secret', textNotification('15550001', 'שלום', 'wamid.1'));
    expect(body).toContain('\\u05e9');
    expect(headers['x-hub-signature-256']).toBe(`sha256=${createHmac('sha256', 'secret').update(body).digest('hex')}`);
  });

  it('puts a status under statuses, not messages', () => {
    const value = (statusNotification('wamid.out', '15550001') as { entry: { changes: { value: object }[] }[] })
      .entry[0]?.changes[0]?.value;
    expect(value).toMatchObject({ statuses: [{ id: 'wamid.out', status: 'delivered', recipient_id: '15550001' }] });
    expect(value).not.toHaveProperty('messages');
  });
});

describe('/proc readings', () => {
  it('reads this process’s CPU time and peak RSS', () => {
    expect(processCpuMs(process.pid)).toBeGreaterThan(0);
    expect(peakRssMb(process.pid)).toBeGreaterThanOrEqual(Math.floor(process.memoryUsage().rss / 1024 / 1024) - 1);
  });
});
