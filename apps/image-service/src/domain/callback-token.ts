import { createHmac } from 'node:crypto';

/**
 * Astria does not sign callbacks, so each callback URL carries an unguessable token: an HMAC of the
 * training request id, keyed with CALLBACK_SIGNING_SECRET. A token is valid for its request only.
 */
export function callbackToken(secret: string, requestId: string): string {
  return createHmac('sha256', secret).update(`astria-callback:v1:${requestId}`).digest('base64url');
}

export function callbackUrls(publicBaseUrl: string, secret: string, requestId: string) {
  const base = publicBaseUrl.replace(/\/$/, '');
  const query = `request=${encodeURIComponent(requestId)}&token=${callbackToken(secret, requestId)}`;
  return {
    tune: `${base}/tune-trained?${query}`,
    prompts: `${base}/pack-tune-received?${query}`,
  };
}
