/**
 * The simulators the sandbox runs for every external API whose URL is not configured. They live in
 * `@astria/simulators`, imported statically with their types.
 */

import { ACCEPTED_INSPECTION, type AstriaSimulator, startAstriaSimulator } from '@astria/simulators/astria';
import {
  type PaymentSimulator,
  type SimPayment,
  type SimTier,
  startPaymentSimulator,
} from '@astria/simulators/payments';
import { type SentMessage, startWhatsAppSimulator, type WhatsAppSimulator } from '@astria/simulators/whatsapp';

export type { SentMessage, SimPayment, SimTier };
export type WhatsAppSimulatorHandle = WhatsAppSimulator;
export type AstriaSimulatorHandle = AstriaSimulator;
export type PaymentSimulatorHandle = PaymentSimulator;
export { ACCEPTED_INSPECTION, startAstriaSimulator, startPaymentSimulator, startWhatsAppSimulator };

/** The wamid in whatever a simulator's inject call answered. */
export function messageIdOf(result: unknown): string | undefined {
  if (typeof result === 'string') return result;
  if (result && typeof result === 'object') {
    const r = result as Record<string, unknown>;
    for (const key of ['id', 'messageId', 'wamid']) if (typeof r[key] === 'string') return r[key] as string;
    const message = r.message as Record<string, unknown> | undefined;
    if (message && typeof message.id === 'string') return message.id;
  }
  return undefined;
}
