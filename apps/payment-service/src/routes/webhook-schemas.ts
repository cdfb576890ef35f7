import type { FastifyRouteSchemaDef, FastifyValidationResult } from 'fastify/types/schema.js';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';

/**
 * For webhooks verified over their raw bytes: the query and headers are validated by their zod schemas
 * as on every route; the body schema only describes the payload (OpenAPI) and is applied by the handler
 * after the token or signature is verified ("verify first, then parse").
 */
export function verifyThenParseCompiler<T>(route: FastifyRouteSchemaDef<T>): FastifyValidationResult {
  if (route.httpPart === 'body') return (raw: unknown) => ({ value: raw });
  return validatorCompiler(route as unknown as FastifyRouteSchemaDef<z.ZodType>);
}

/** The answer to a webhook the provider should not resend. */
export const webhookAnswer = z.object({
  status: z.enum(['applied', 'forwarded', 'duplicate', 'needs_review', 'ignored']),
  reason: z.string().optional(),
});

/** "the body: expected …" from a zod error, for a 400 that names what is wrong. */
export function describeBodyError(error: z.ZodError): string {
  return z.prettifyError(error).replace(/^✖ /gm, 'body: ');
}
