import { parseArgs } from 'node:util';
import { DEFAULT_DEAD_LETTER_WINDOW_MS, DEFAULT_PING_TIMEOUT_MS, type ServiceKey, type Target } from './checklist.js';

/** The sandbox's default ports (apps/sandbox/src/config.ts) and its verify token (SANDBOX_SECRETS). */
export const LOCAL = {
  host: 'http://127.0.0.1',
  ports: { message: 7071, image: 7072, payment: 7073, maintenance: 7074 } satisfies Record<ServiceKey, number>,
  verifyToken: 'sandbox-whatsapp-verify-token',
};

const KEYS: Record<string, ServiceKey> = {
  m: 'message',
  message: 'message',
  i: 'image',
  image: 'image',
  p: 'payment',
  payment: 'payment',
  mt: 'maintenance',
  maintenance: 'maintenance',
};

export const USAGE = `pnpm validate --base-url <url> [--ingress] [--services m=<url|port>,i=…,p=…,mt=…] [--verify-token <t>]
              [--kube-api <url> --namespace <ns>] [--ping-timeout-ms <n>] [--dead-letter-window-ms <n>]
pnpm validate --local

  --base-url      the deployment (the ingress host, or the host the services' ports are forwarded to)
  --ingress       the public endpoints (webhooks, callbacks) are reached through --base-url
  --services      each service's own URL (or a port on --base-url's host): health, metrics, /runs;
                  without --ingress the public endpoints are checked on these too
  --verify-token  the WhatsApp verify token (default: $WHATSAPP_VERIFY_TOKEN)
  --local         the sandbox on its default ports (7071–7074)
  --timeout-ms    per request (default 10000)
  --ping-timeout-ms        the broker round trip (POST /ops/ping on p, handled on m) may take this long
                           (default ${DEFAULT_PING_TIMEOUT_MS})
  --dead-letter-window-ms  dead-letter counts are read twice this far apart (default ${DEFAULT_DEAD_LETTER_WINDOW_MS})
  --kube-api      the Kubernetes API (e.g. http://127.0.0.1:8001 from \`kubectl proxy\`; token from
                  $KUBE_TOKEN): the maintenance CronJobs' last successful runs in --namespace
  --namespace     the namespace of the CronJobs (default astria-bot)`;

/** Turns the command line into what to check; throws with the usage on a mistake. */
export function parseValidateArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): Target {
  const { values } = parseArgs({
    args: argv,
    options: {
      'base-url': { type: 'string' },
      ingress: { type: 'boolean', default: false },
      services: { type: 'string' },
      'verify-token': { type: 'string' },
      local: { type: 'boolean', default: false },
      'timeout-ms': { type: 'string' },
      'ping-timeout-ms': { type: 'string' },
      'dead-letter-window-ms': { type: 'string' },
      'kube-api': { type: 'string' },
      namespace: { type: 'string' },
    },
    strict: true,
  });
  const timeoutMs = milliseconds(values['timeout-ms'], '--timeout-ms') ?? 10_000;
  const pingTimeoutMs = milliseconds(values['ping-timeout-ms'], '--ping-timeout-ms');
  const deadLetterWindowMs = milliseconds(values['dead-letter-window-ms'], '--dead-letter-window-ms');
  if (values.namespace && !values['kube-api']) throw new Error(`--namespace needs --kube-api\n\n${USAGE}`);
  const common = {
    timeoutMs,
    ...(pingTimeoutMs !== undefined ? { pingTimeoutMs } : {}),
    ...(deadLetterWindowMs !== undefined ? { deadLetterWindowMs } : {}),
    ...(values['kube-api']
      ? {
          kube: {
            apiUrl: values['kube-api'],
            namespace: values.namespace ?? 'astria-bot',
            ...(env.KUBE_TOKEN ? { token: env.KUBE_TOKEN } : {}),
          },
        }
      : {}),
  };
  if (values.local) {
    const services = Object.fromEntries(
      Object.entries(LOCAL.ports).map(([key, port]) => [key, `${LOCAL.host}:${port}`]),
    ) as Record<ServiceKey, string>;
    return {
      services,
      publicUrls: { whatsapp: services.message, payments: services.payment, astria: services.image },
      verifyToken: values['verify-token'] ?? LOCAL.verifyToken,
      allowNoRuns: true,
      ...common,
    };
  }
  const baseUrl = values['base-url']?.replace(/\/$/, '');
  if (!baseUrl) throw new Error(`--base-url or --local is required\n\n${USAGE}`);
  if (!values.ingress && !values.services) throw new Error(`--ingress or --services is required\n\n${USAGE}`);
  const services: Partial<Record<ServiceKey, string>> = {};
  for (const entry of (values.services ?? '').split(',').filter(Boolean)) {
    const [name, value] = entry.split('=');
    const key = KEYS[name?.trim() ?? ''];
    if (!key || !value) throw new Error(`--services: "${entry}" is not m|i|p|mt=<url or port>\n\n${USAGE}`);
    if (/^\d+$/.test(value)) {
      const url = new URL(baseUrl);
      url.port = value;
      services[key] = url.origin;
    } else {
      services[key] = value.replace(/\/$/, '');
    }
  }
  const verifyToken = values['verify-token'] ?? env.WHATSAPP_VERIFY_TOKEN;
  return {
    services,
    publicUrls: values.ingress
      ? { whatsapp: baseUrl, payments: baseUrl, astria: baseUrl }
      : {
          ...(services.message ? { whatsapp: services.message } : {}),
          ...(services.payment ? { payments: services.payment } : {}),
          ...(services.image ? { astria: services.image } : {}),
        },
    ...(verifyToken ? { verifyToken } : {}),
    ...common,
  };
}

function milliseconds(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`${option}: "${value}" is not a number of milliseconds\n\n${USAGE}`);
  return n;
}
