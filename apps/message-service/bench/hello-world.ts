/**
 * The hello-world of `bench:ingest`, run as its own process: a bare Fastify `POST /` answering
 * `{ok:true}` (the same client and bodies as the ingest run), ready on /health/ready.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 });
app.post('/whatsapp/webhook', async () => ({ ok: true }));
app.get('/health/ready', async () => ({ status: 'ready' }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
