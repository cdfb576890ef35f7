import { z } from 'zod';

/** What every error answer carries (service-kit's error handler adds a message and the request id). */
export const errorResponse = z.looseObject({
  error: z.string(),
  message: z.string().optional(),
});
