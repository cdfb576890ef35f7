import type { SharedConfig } from '@astria/config';
import type { Transport } from './transport.js';
import { MemoryTransport } from './transports/memory.js';

/**
 * The transport the configuration asks for: in-process memory, or Azure Service Bus. The Service Bus
 * SDK is imported here, only when asked for, so a service on the memory transport never loads it.
 */
export async function createTransport(config: SharedConfig): Promise<Transport> {
  const retry = { baseMs: config.EVENT_RETRY_BASE_MS, maxMs: config.EVENT_RETRY_MAX_MS };
  if (config.EVENT_TRANSPORT === 'memory') return new MemoryTransport({ retry });
  const { createServiceBusTransport } = await import('./transports/servicebus.js');
  return createServiceBusTransport(config);
}
