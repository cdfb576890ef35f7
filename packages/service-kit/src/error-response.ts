import { z } from 'zod';

/**
 * What every error answer carries, for the routes' response schemas (and so the OpenAPI documents):
 * a code, and from service-kit's error handler a message and the request id to quote; a webhook's
 * refusal may add its reason. Loose: an answer may carry more.
 */
export const errorResponseSchema = z.looseObject({
  error: z.string(),
  message: z.string().optional(),
  requestId: z.string().optional(),
  reason: z.string().optional(),
});
