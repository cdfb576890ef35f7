import type { SharedConfig } from '@astria/config';
import type { Transport } from './transport.js';
import { MemoryTransport } from './transports/memory.js';

/** The transport the configuration asks for. Service Bus is loaded only when selected. */
export async function createTransport(config: SharedConfig): Promise<Transport> {
  const retry = { baseMs: config.EVENT_RETRY_BASE_MS, maxMs: config.EVENT_RETRY_MAX_MS };
  if (config.EVENT_TRANSPORT === 'memory') return new MemoryTransport({ retry });
  const servicebusModule = './transports/servicebus.js'; // loaded only when selected
  const loaded = (await import(servicebusModule).catch(() => null)) as {
    createServiceBusTransport?: (config: SharedConfig) => Promise<Transport>;
  } | null;
  if (!loaded?.createServiceBusTransport) {
    throw new Error('EVENT_TRANSPORT=servicebus is not available in this build');
  }
  return loaded.createServiceBusTransport(config);
}
