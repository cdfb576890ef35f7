import type { SharedConfig } from '@astria/config';
import type { Transport } from './transport.js';
import { MemoryTransport } from './transports/memory.js';
import { createServiceBusTransport } from './transports/servicebus.js';

/** The transport the configuration asks for: in-process memory, or Azure Service Bus. */
export async function createTransport(config: SharedConfig): Promise<Transport> {
  const retry = { baseMs: config.EVENT_RETRY_BASE_MS, maxMs: config.EVENT_RETRY_MAX_MS };
  if (config.EVENT_TRANSPORT === 'memory') return new MemoryTransport({ retry });
  return createServiceBusTransport(config);
}
