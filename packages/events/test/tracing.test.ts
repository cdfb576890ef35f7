import { createTestDatabase, type TestDatabase, waitFor } from '@astria/db/testing';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventRuntime, MemoryTransport } from '../src/index.js';

describe('trace context inside events', () => {
  const exporter = new InMemorySpanExporter();
  let database: TestDatabase;
  beforeAll(async () => {
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    trace.setGlobalTracerProvider(provider);
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    database = await createTestDatabase();
  });
  afterAll(async () => {
    trace.disable();
    context.disable();
    propagation.disable();
    await database.destroy();
  });

  it('carries the producer span as traceparent and continues the trace in the consumer', async () => {
    const transport = new MemoryTransport();
    const producer = createEventRuntime({ database, service: 'message-service', transport });
    const consumer = createEventRuntime({ database, service: 'image-service', transport });
    const seen: string[] = [];
    consumer.consume({
      user_message_received: async (event) => {
        seen.push(event.traceparent ?? '');
      },
    });
    await transport.start();
    await consumer.start();
    await producer.start();
    const tracer = trace.getTracer('test');
    const traceId = await tracer.startActiveSpan('webhook', async (span) => {
      await database.db.transaction(async (tx) => {
        await producer.outbox.add(
          tx,
          'user_message_received',
          { userId: 'u1', messageId: 'wamid.t', receivedAt: new Date().toISOString(), type: 'text', text: 'hi' },
          { key: 'u1' },
        );
      });
      span.end();
      return span.spanContext().traceId;
    });
    await waitFor(() => seen.length === 1, { what: 'the delivery' });
    expect(seen[0]).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    const processSpan = await waitFor(
      () => exporter.getFinishedSpans().find((s) => s.name === 'user_message_received process'),
      {
        what: 'the consumer span',
      },
    );
    expect(processSpan.spanContext().traceId).toBe(traceId);
    await producer.stop();
    await transport.stop();
    await consumer.close();
    await producer.close();
  });
});
