import { createServer } from 'node:net';

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
