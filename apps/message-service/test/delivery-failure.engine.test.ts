import type { OutboundMessage } from '@astria/events';
import { describe, expect, it } from 'vitest';
import { onDeliveryFailed } from '../src/conversation/delivery-failure.js';

const image: OutboundMessage = { kind: 'image', link: 'https://cdn.example.com/p1.jpg' };
const video: OutboundMessage = { kind: 'video', link: 'https://cdn.example.com/v1.mp4' };
const pay: OutboundMessage = {
  kind: 'cta_url',
  body: 'Pay',
  displayText: 'Pay now',
  url: 'https://buy.stripe.com/test_standard',
};
const text: OutboundMessage = { kind: 'text', body: 'hello' };
const template: OutboundMessage = { kind: 'template', name: 'astria_follow_up', language: 'en', purpose: 'follow_up' };
const read: OutboundMessage = { kind: 'mark_read', messageId: 'wamid.x', typing: true };

describe('onDeliveryFailed (every kind × code × retry state)', () => {
  it.each([
    // [name, sent, code, wasRetried, isRetry, action]
    ['image, media upload error', image, 131053, false, false, 'retry'],
    ['image, something went wrong', image, 131000, false, false, 'retry'],
    ['image, service unavailable', image, 131016, false, false, 'retry'],
    ['image, pair rate', image, 131056, false, false, 'retry'],
    ['image, undeliverable', image, 131026, false, false, 'tell_user'],
    ['image, engagement limit', image, 131049, false, false, 'tell_user'],
    ['image, no code', image, null, false, false, 'tell_user'],
    ['image retry failing again', image, 131053, false, true, 'tell_user'],
    ['image already retried (duplicate status)', image, 131053, true, false, 'record'],
    ['video, media upload error', video, 131053, false, false, 'retry'],
    ['video retry failing again', video, 131053, false, true, 'tell_user'],
    ['payment link, something went wrong', pay, 131000, false, false, 'retry'],
    ['payment link, undeliverable', pay, 131026, false, false, 'tell_user'],
    ['payment link retry failing again', pay, 131000, false, true, 'tell_user'],
    ['image, window closed', image, 131047, false, false, 'hold_for_window'],
    ['text, window closed', text, 131047, false, false, 'hold_for_window'],
    ['payment link, window closed', pay, 131047, false, false, 'hold_for_window'],
    ['template, window closed', template, 131047, false, false, 'record'],
    ['text, undeliverable', text, 131026, false, false, 'record'],
    ['text, something went wrong', text, 131000, false, false, 'record'],
    ['template, engagement limit', template, 131049, false, false, 'record'],
    ['read receipt', read, 131000, false, false, 'record'],
  ] as const)('%s → %s', (_name, sent, code, wasRetried, isRetry, action) => {
    expect(onDeliveryFailed(sent, code, wasRetried, isRetry, 'en').kind).toBe(action);
  });

  it.each(['en', 'he'] as const)('tells the user in %s, with the link so nothing is lost', (language) => {
    const forImage = onDeliveryFailed(image, 131026, false, false, language);
    const forPayment = onDeliveryFailed(pay, 131026, false, false, language);
    expect(forImage).toMatchObject({ kind: 'tell_user', message: { kind: 'text' } });
    expect(JSON.stringify(forImage)).toContain(image.link);
    expect(JSON.stringify(forPayment)).toContain(pay.url);
    if (language === 'he') expect(JSON.stringify(forImage)).toMatch(/[\u0590-\u05ff]/);
  });
});
