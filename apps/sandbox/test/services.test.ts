import { loadConfig } from '@astria/config';
import { describe, expect, it } from 'vitest';
import { realApis } from '../src/sandbox.js';
import { buildServiceEnv, SANDBOX_SECRETS, type SandboxUrls, SERVICE_SPECS } from '../src/services.js';

const urls: SandboxUrls = {
  page: 'http://127.0.0.1:7070',
  services: {
    'message-service': 'http://127.0.0.1:7071',
    'image-service': 'http://127.0.0.1:7072',
    'payment-service': 'http://127.0.0.1:7073',
    'maintenance-service': 'http://127.0.0.1:7074',
  },
  whatsapp: 'http://127.0.0.1:7075/v21.0',
  astria: 'http://127.0.0.1:7076',
  payments: 'http://127.0.0.1:7077',
};
const links = {
  lite: 'http://127.0.0.1:7077/sumit/pay?tier=lite',
  standard: 'http://127.0.0.1:7077/sumit/pay?tier=standard',
  premium: 'http://127.0.0.1:7077/sumit/pay?tier=premium',
};

describe('the services environment', () => {
  it('configures every service with no variable set at all', () => {
    const env = buildServiceEnv({ urls, dataDir: '/tmp/x', logLevel: 'warn', paymentLinks: links, userEnv: {} });
    for (const spec of SERVICE_SPECS) {
      expect(() => loadConfig(spec.service, spec.configSchema, { ...env, PORT: '1' }), spec.service).not.toThrow();
    }
  });

  it("lets the user's variables win, except what the sandbox controls", () => {
    const env = buildServiceEnv({
      urls,
      dataDir: '/tmp/x',
      logLevel: 'warn',
      paymentLinks: links,
      userEnv: {
        MIN_TRAINING_PHOTOS: '6',
        SUPPORT_CONTACT: 'help@example.org',
        EVENT_TRANSPORT: 'servicebus',
        ASTRIA_API_KEY: 'a-real-key',
        PUBLIC_BASE_URL: 'http://localhost:9999',
        WHATSAPP_APP_SECRET: 'from .env',
      },
    });
    expect(env.MIN_TRAINING_PHOTOS).toBe('6');
    expect(env.SUPPORT_CONTACT).toBe('help@example.org');
    expect(env.EVENT_TRANSPORT).toBe('memory');
    expect(env.ASTRIA_API_URL).toBe(urls.astria);
    expect(env.ASTRIA_API_KEY).toBe(SANDBOX_SECRETS.astriaApiKey);
    expect(env.PUBLIC_BASE_URL).toBe(urls.services['image-service']);
    expect(env.WHATSAPP_APP_SECRET).toBe(SANDBOX_SECRETS.whatsappAppSecret);
    expect(env.LITE_TIER_PAYMENT_LINK).toBe(links.lite);
    expect(env.PGLITE_DATA_DIR).toBe('/tmp/x/pglite');
  });
});

describe('real or simulated', () => {
  it('uses a real API only when its URL comes with a real-looking credential', () => {
    const notes: string[] = [];
    expect(
      realApis(
        {
          ASTRIA_API_URL: 'https://api.astria.ai',
          ASTRIA_API_KEY: 'change-me-astria-key',
          WHATSAPP_API_URL: 'https://graph.facebook.com/v21.0',
          WHATSAPP_API_KEY: 'EAAG-real-token',
        },
        notes,
      ),
    ).toEqual({ whatsapp: true, astria: false, payments: false });
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain('ASTRIA_API_KEY');
    expect(realApis({ LITE_TIER_PAYMENT_LINK: 'https://pay.sumit.co.il/x' }).payments).toBe(true);
  });
});
