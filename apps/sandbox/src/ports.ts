import { createServer } from 'node:net';
import type { PortName } from './sandbox.js';

/** A free TCP port on the host, for a server that asks for port 0 but must be known in advance. */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen({ host, port: 0 }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves every 0 in a port map to a free port, so URLs can be given out before anything listens. */
export async function resolvePorts<K extends string>(
  host: string,
  ports: Record<K, number>,
): Promise<Record<K, number>> {
  const out = { ...ports };
  const taken = new Set<number>(Object.values<number>(ports).filter((p) => p !== 0));
  for (const key of Object.keys(out) as K[]) {
    if (out[key] !== 0) continue;
    let port = await freePort(host);
    while (taken.has(port)) port = await freePort(host);
    taken.add(port);
    out[key] = port;
  }
  return out;
}

/** Every port 0 (a free one each): what tests and parallel sandboxes ask for. */
export const EPHEMERAL_PORTS: Readonly<Record<PortName, 0>> = {
  page: 0,
  'message-service': 0,
  'image-service': 0,
  'payment-service': 0,
  'maintenance-service': 0,
  'whatsapp-simulator': 0,
  'astria-simulator': 0,
  'payment-simulator': 0,
};
