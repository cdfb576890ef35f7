import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SUMIT_FIELDS,
  interpretSumit,
  normalizeUserId,
  parseTier,
  readPath,
  sumitOptionsFromConfig,
} from '../src/index.js';
import { fromMinorUnits, userIdFromClientReference } from '../src/stripe-event.js';
import { testConfig } from './helpers.js';

describe('normalizeUserId (the message service’s key for a user)', () => {
  const cases: Array<[string | number | null | undefined, string | null, string?]> = [
    ['972501234567', '972501234567'],
    [972501234567, '972501234567'],
    ['+972 50-123-4567', '972501234567'],
    ['+972-50-123-4567', '972501234567'],
    ['(+972) 50 123 4567', '972501234567'],
    ['+972 (0)50-123-4567', '972501234567'],
    ['00972501234567', '972501234567'],
    ['050-123-4567', '972501234567', 'national number: trunk 0 → default country code'],
    ['0501234567', '972501234567'],
    ['+1 (415) 555-0100', '14155550100'],
    ['  +44 20 7946 0958 ', '442079460958'],
    ['US.13491208655302741918', 'US.13491208655302741918', 'WhatsApp business-scoped user id, verbatim'],
    ['dana@example.com', null],
    ['12345', null, 'too short'],
    ['+1234567890123456', null, 'longer than E.164'],
    ['', null],
    ['   ', null],
    [null, null],
    [undefined, null],
  ];
  it.each(cases)('%j → %j %s', (input, expected) => {
    expect(normalizeUserId(input, { defaultCountryCode: '972' })).toBe(expected);
  });

  it('keeps a national number as digits when no default country code is configured', () => {
    expect(normalizeUserId('050-123-4567')).toBe('0501234567');
    expect(normalizeUserId('020 7946 0958', { defaultCountryCode: '44' })).toBe('442079460958');
  });
});

describe('readPath', () => {
  const value = { EntityID: 7, Properties: { 'Property_M-3': [{ Name: 'Lite' }], 'Property_M-5': ['972'] } };
  it.each([
    ['EntityID', 7],
    ['Properties.Property_M-5[0]', '972'],
    ['Properties.Property_M-3[0].Name', 'Lite'],
    ['Properties.Property_M-3[1].Name', undefined],
    ['Properties.Property_M-5.length', undefined],
    ['Properties.Missing[0]', undefined],
    ['EntityID[0]', undefined],
    ['toString', undefined],
  ])('%s → %j', (path, expected) => {
    expect(readPath(value, path)).toBe(expected);
  });
  it('is undefined on non-objects', () => {
    expect(readPath(null, 'a')).toBeUndefined();
    expect(readPath([1], 'a')).toBeUndefined();
    expect(readPath('x', 'a')).toBeUndefined();
  });
});

describe('parseTier', () => {
  it.each([
    ['Lite', 'lite'],
    [' STANDARD ', 'standard'],
    ['premium', 'premium'],
    ['Gold', null],
    [3, null],
    [undefined, null],
  ])('%j → %j', (input, expected) => expect(parseTier(input)).toBe(expected));
});

describe('interpretSumit', () => {
  const options = { fields: DEFAULT_SUMIT_FIELDS, currency: 'ILS', defaultCountryCode: '972' };
  const body = (props: Record<string, unknown>, entity: unknown = 418273645) => ({
    EntityID: entity,
    Properties: {
      'Property_M-3': [{ ID: 1, Name: 'Standard' }],
      'Property_M-5': ['050-123-4567'],
      'Property_M-10': ['Dana Levi'],
      'Property_M-12': [89.0],
      ...props,
    },
  });

  it('maps the default SUMIT fields', () => {
    expect(interpretSumit(body({}), options)).toEqual({
      kind: 'payment',
      reviewReason: null,
      payment: {
        provider: 'sumit',
        providerPaymentId: '418273645',
        providerEventId: null,
        userId: '972501234567',
        tier: 'standard',
        amount: 89,
        currency: 'ILS',
        name: 'Dana Levi',
      },
    });
  });

  it('rejects a payload without payment id or without a usable phone, saying why', () => {
    expect(interpretSumit(body({}, null), options)).toEqual({
      kind: 'rejected',
      reason: 'missing payment id (EntityID)',
    });
    expect(interpretSumit(body({ 'Property_M-5': [] }), options)).toMatchObject({
      kind: 'rejected',
      reason: 'missing phone (Properties.Property_M-5[0])',
    });
    expect(interpretSumit(body({ 'Property_M-5': ['call me'] }), options)).toMatchObject({ kind: 'rejected' });
    expect(interpretSumit([], options)).toMatchObject({ kind: 'rejected' });
  });

  it('marks an unknown tier for review, keeping the rest', () => {
    const result = interpretSumit(body({ 'Property_M-3': [{ Name: 'Gold' }] }), options);
    expect(result).toMatchObject({
      kind: 'payment',
      reviewReason: 'unknown_tier: Gold',
      payment: { tier: null, userId: '972501234567' },
    });
  });

  it('reads configured field keys (another SUMIT account)', () => {
    const config = testConfig({
      SUMIT_FIELD_PAYMENT_ID: 'Payment.ID',
      SUMIT_FIELD_PHONE: 'Customer.Phone',
      SUMIT_FIELD_NAME: 'Customer.Name',
      SUMIT_FIELD_TIER: 'Items[0].Title',
      SUMIT_FIELD_AMOUNT: 'Payment.Total',
      SUMIT_CURRENCY: 'usd',
    });
    const result = interpretSumit(
      {
        Payment: { ID: 'P-77', Total: '120.50' },
        Customer: { Phone: '+1 415 555 0100', Name: 'Sam' },
        Items: [{ Title: 'premium' }],
      },
      sumitOptionsFromConfig(config),
    );
    expect(result).toMatchObject({
      kind: 'payment',
      reviewReason: null,
      payment: { providerPaymentId: 'P-77', userId: '14155550100', tier: 'premium', amount: 120.5, currency: 'USD' },
    });
  });
});

describe('configuration', () => {
  it('parses the Stripe tier map and rejects a bad entry with an example', () => {
    expect(testConfig({ STRIPE_TIER_BY_ID: ' plink_a:Lite , price_b:premium' }).STRIPE_TIER_BY_ID).toEqual({
      plink_a: 'lite',
      price_b: 'premium',
    });
    expect(() => testConfig({ STRIPE_TIER_BY_ID: 'plink_a:gold' })).toThrow(/plink_1Abc:standard/);
    expect(() => testConfig({ SUMIT_FIELD_PHONE: 'a..b' })).toThrow(/field path/);
  });
});

describe('fromMinorUnits', () => {
  it.each([
    [2400, 'usd', 24],
    [8900, 'ils', 89],
    [500, 'jpy', 500],
    [1500, 'kwd', 1.5],
    [null, 'usd', null],
    [100, null, null],
  ])('%j %s → %j', (amount, currency, expected) => expect(fromMinorUnits(amount, currency)).toBe(expected));
});

describe('userIdFromClientReference', () => {
  it.each([
    ['972501234567', '972501234567'],
    ['US_13491208655302741918', 'US.13491208655302741918'],
    ['0501234567', '972501234567'],
    ['not-a-user', null],
    [null, null],
  ])('%j → %j', (reference, expected) => expect(userIdFromClientReference(reference, '972')).toBe(expected));
});
