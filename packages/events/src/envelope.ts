import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';

/** The wire form of every event, on every transport (see docs/events.md). */
export const envelopeSchema = z.looseObject({
  id: z.uuid(),
  type: z.string().min(1),
  v: z.number().int().positive(),
  occurredAt: z.iso.datetime({ offset: true }),
  source: z.string().min(1),
  key: z.string().min(1).nullable(),
  correlationId: z.string().min(1),
  traceparent: z.string().optional(),
  data: z.unknown(),
});

export interface EventEnvelope<TType extends string = string, TData = unknown> {
  id: string;
  type: TType;
  v: number;
  occurredAt: string;
  source: string;
  /** Ordering / session key (the user id for user events); null when order does not matter. */
  key: string | null;
  correlationId: string;
  traceparent?: string;
  data: TData;
}

export interface EnvelopeOptions {
  source: string;
  key?: string | null;
  correlationId?: string;
  traceparent?: string;
  occurredAt?: Date;
}

export function newEventId(): string {
  return uuidv7();
}

export function buildEnvelope<TType extends string, TData>(
  type: TType,
  version: number,
  data: TData,
  options: EnvelopeOptions,
): EventEnvelope<TType, TData> {
  const id = newEventId();
  const envelope: EventEnvelope<TType, TData> = {
    id,
    type,
    v: version,
    occurredAt: (options.occurredAt ?? new Date()).toISOString(),
    source: options.source,
    key: options.key ?? null,
    correlationId: options.correlationId ?? id,
    data,
  };
  if (options.traceparent) envelope.traceparent = options.traceparent;
  return envelope;
}
