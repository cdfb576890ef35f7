/**
 * The simulators the sandbox runs for every external API whose URL is not configured. They live in
 * `@astria/simulators`; the sandbox talks to them only through the small surface below.
 */

export interface SentMessage {
  /** The wamid the simulator answered with. */
  wamid: string;
  to: string;
  type: string;
  /** The Graph API request body the service sent. */
  payload: Record<string, unknown>;
  at: Date;
}

export interface WhatsAppSimulatorHandle {
  url: string;
  onSent(listener: (sent: SentMessage) => void): unknown;
  addMedia(bytes: Buffer | Uint8Array, mime: string): Promise<{ mediaId: string }> | { mediaId: string };
  sendText(from: string, body: string, ...rest: unknown[]): Promise<unknown>;
  sendImage(from: string, mediaId: string, ...rest: unknown[]): Promise<unknown>;
  sendButtonReply(from: string, id: string, title: string, ...rest: unknown[]): Promise<unknown>;
  sendListReply(from: string, id: string, title: string, ...rest: unknown[]): Promise<unknown>;
  close(): Promise<void>;
  [key: string]: unknown;
}

export interface AstriaSimulatorHandle {
  url: string;
  close(): Promise<void>;
  [key: string]: unknown;
}

export type SimTier = 'lite' | 'standard' | 'premium';

export interface SimPayment {
  provider: 'sumit' | 'stripe';
  tier: SimTier;
  userId: string;
  paymentId: string;
  webhookStatus: number;
  deliveries: number;
  [key: string]: unknown;
}

export interface PaymentSimulatorHandle {
  url: string;
  sumitPaymentLink(tier: SimTier): string;
  stripePaymentLink(tier: SimTier): string;
  /** STRIPE_TIER_BY_ID for the payment service. */
  stripeTierMapping(): string;
  readonly payments: readonly SimPayment[];
  pay(input: { provider: 'sumit' | 'stripe'; tier: SimTier; userId: string; name: string }): Promise<SimPayment>;
  resend(payment: SimPayment): Promise<SimPayment>;
  close(): Promise<void>;
}

type Loaded<T> = { ok: true; start: (options: Record<string, unknown>) => Promise<T> } | { ok: false; why: string };

async function load<T>(specifier: string, exportName: string): Promise<Loaded<T>> {
  try {
    const module = (await import(specifier)) as Record<string, unknown>;
    const start = module[exportName];
    if (typeof start !== 'function') return { ok: false, why: `${specifier} does not export ${exportName} yet` };
    return { ok: true, start: start as (options: Record<string, unknown>) => Promise<T> };
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') {
      return { ok: false, why: `${specifier} is not built yet` };
    }
    throw error;
  }
}

export const loadWhatsAppSimulator = () =>
  load<WhatsAppSimulatorHandle>('@astria/simulators/whatsapp', 'startWhatsAppSimulator');
export const loadAstriaSimulator = () =>
  load<AstriaSimulatorHandle>('@astria/simulators/astria', 'startAstriaSimulator');
export const loadPaymentSimulator = () =>
  load<PaymentSimulatorHandle>('@astria/simulators/payments', 'startPaymentSimulator');

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
