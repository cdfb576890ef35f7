import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  imageServiceConfigSchema,
  maintenanceServiceConfigSchema,
  messageServiceConfigSchema,
  paymentServiceConfigSchema,
  SECRET_VARIABLES,
  sharedConfigSchema,
} from '../../../packages/config/src/index.js';
import {
  baseDir,
  baseManifests,
  kubernetesDir,
  type Manifest,
  ofKind,
  podSpecOf,
  readYamlDocuments,
  repoRoot,
  yamlFiles,
} from './manifests.js';
import { renderKustomization } from './render.js';

const manifests = baseManifests();
const get = (kind: string, name: string): Manifest => {
  const m = manifests.get(`${kind}/${name}`);
  if (!m) throw new Error(`${kind}/${name} is not in the base`);
  return m;
};

const DEPLOYMENTS = {
  'message-service': { port: 7071, schema: messageServiceConfigSchema },
  'image-service': { port: 7072, schema: imageServiceConfigSchema },
  'payment-service': { port: 7073, schema: paymentServiceConfigSchema },
} as const;

// Environment variables a container may carry that are not service configuration.
const NON_CONFIG_VARIABLES = new Set(['OTEL_SERVICE_NAME']);

/** A value of the right shape for each secret, so a schema can parse the assembled environment. */
function placeholderFor(variable: string): string {
  if (variable === 'DATABASE_URL') return 'postgres://astria:pw@db.example.com:5432/astria?sslmode=require';
  if (variable.endsWith('_CONNECTION_STRING')) return 'Endpoint=https://example.com/;Key=x';
  return 'placeholder-secret-value';
}

/** Secret name → the env keys a SecretProviderClass syncs into it. */
function syncedSecrets(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const spc of ofKind(manifests, 'SecretProviderClass')) {
    for (const secret of spc.spec.secretObjects as Manifest[]) {
      out.set(
        secret.secretName,
        (secret.data as { key: string }[]).map((d) => d.key),
      );
    }
  }
  return out;
}

/** What a container's environment will be: ConfigMaps and synced Secrets (envFrom, in order) and env. */
function containerEnvironment(container: Manifest): Record<string, string> {
  const env: Record<string, string> = {};
  const secrets = syncedSecrets();
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) Object.assign(env, get('ConfigMap', source.configMapRef.name).data);
    if (source.secretRef) {
      const keys = secrets.get(source.secretRef.name);
      if (!keys) throw new Error(`secret ${source.secretRef.name} is synced by no SecretProviderClass`);
      for (const key of keys) env[key] = placeholderFor(key);
    }
  }
  for (const entry of container.env ?? []) env[entry.name] = String(entry.value);
  return env;
}

function schemaKeys(schema: { shape: Record<string, unknown> }): Set<string> {
  return new Set(Object.keys(schema.shape));
}

describe('kustomize base', () => {
  it('lists every manifest file and kustomization directory of base/ and nothing that is missing', () => {
    const kustomization = readYamlDocuments(join(baseDir, 'kustomization.yaml'))[0] as { resources: string[] };
    const files = yamlFiles(baseDir).filter((f) => f !== 'kustomization.yaml');
    const dirs = readdirSync(baseDir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(baseDir, d.name, 'kustomization.yaml')))
      .map((d) => d.name);
    expect([...kustomization.resources].sort()).toEqual([...files, ...dirs].sort());
    // message-service's workload is a kustomization of its own (components/blue-green deploys it per colour).
    expect(kustomization.resources).toContain('message-service');
    expect(kustomization.resources).toContain('maintenance-cronjobs.yaml');
    expect(kustomization.resources).toContain('migrate-job.yaml');
  });

  it('every envFrom, ServiceAccount and CSI volume of every workload refers to an object of the base', () => {
    const secrets = syncedSecrets();
    const workloads = [
      ...ofKind(manifests, 'Deployment'),
      ...ofKind(manifests, 'Job'),
      ...ofKind(manifests, 'CronJob'),
    ];
    expect(workloads.length).toBeGreaterThanOrEqual(6);
    for (const workload of workloads) {
      const pod = podSpecOf(workload);
      get('ServiceAccount', pod.serviceAccountName);
      for (const volume of pod.volumes ?? []) {
        if (volume.csi) get('SecretProviderClass', volume.csi.volumeAttributes.secretProviderClass);
      }
      for (const container of pod.containers) {
        for (const source of container.envFrom ?? []) {
          if (source.configMapRef) get('ConfigMap', source.configMapRef.name);
          if (source.secretRef) expect(secrets.has(source.secretRef.name), source.secretRef.name).toBe(true);
        }
      }
    }
  });

  it('every workload runs hardened: non-root, read-only root, no escalation, no capabilities, seccomp', () => {
    const workloads = [
      ...ofKind(manifests, 'Deployment'),
      ...ofKind(manifests, 'Job'),
      ...ofKind(manifests, 'CronJob'),
    ];
    for (const workload of workloads) {
      const pod = podSpecOf(workload);
      expect(pod.securityContext.runAsNonRoot, workload.metadata.name).toBe(true);
      expect(pod.securityContext.seccompProfile.type).toBe('RuntimeDefault');
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const container of pod.containers) {
        expect(container.securityContext.readOnlyRootFilesystem, workload.metadata.name).toBe(true);
        expect(container.securityContext.allowPrivilegeEscalation).toBe(false);
        expect(container.securityContext.capabilities.drop).toEqual(['ALL']);
        expect(container.resources.requests).toBeDefined();
        expect(container.resources.limits.memory).toBeDefined();
      }
      const template = workload.kind === 'CronJob' ? workload.spec.jobTemplate.spec.template : workload.spec.template;
      expect(template.metadata.labels['azure.workload.identity/use']).toBe('true');
    }
  });
});

describe.each(Object.entries(DEPLOYMENTS))('Deployment %s', (name, { port, schema }) => {
  const deployment = get('Deployment', name);
  const pod = podSpecOf(deployment);
  const container = pod.containers[0];

  it('listens on its port everywhere: container, config, Service, probes', () => {
    expect(container.ports).toEqual([{ name: 'http', containerPort: port, protocol: 'TCP' }]);
    expect(get('ConfigMap', `${name}-config`).data.PORT).toBe(String(port));
    const service = get('Service', name);
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(service.spec.ports[0].targetPort).toBe('http');
  });

  it('is reachable through the network policy that admits the ingress controller', () => {
    const policy = get('NetworkPolicy', 'allow-ingress-controller-and-metrics');
    for (const [label, value] of Object.entries(policy.spec.podSelector.matchLabels as Record<string, string>)) {
      expect(deployment.spec.template.metadata.labels[label], label).toBe(value);
    }
    expect(policy.spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: 'http' }]);
  });

  it('probes liveness on /health/live and readiness on /health/ready', () => {
    expect(container.startupProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
  });

  it('gives shutdown more time than the preStop sleep plus SHUTDOWN_DRAIN_MS plus SHUTDOWN_GRACE_MS', () => {
    const shared = get('ConfigMap', 'astria-shared-config').data;
    const shutdownGraceMs = Number(shared.SHUTDOWN_GRACE_MS) + Number(shared.SHUTDOWN_DRAIN_MS);
    expect(Number(shared.SHUTDOWN_DRAIN_MS)).toBeGreaterThan(0);
    const preStop = container.lifecycle.preStop.exec.command as string[];
    expect(preStop[0]).toBe('sleep');
    const preStopMs = Number(preStop[1]) * 1000;
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(shutdownGraceMs + preStopMs);
  });

  it('is scaled by its HPA (no replicas field), protected by a PDB and spread across zones and nodes', () => {
    expect(deployment.spec.replicas).toBeUndefined();
    expect(get('HorizontalPodAutoscaler', name).spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name,
    });
    expect(get('PodDisruptionBudget', name).spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    const keys = (pod.topologySpreadConstraints as Manifest[]).map((c) => c.topologyKey);
    expect(keys).toEqual(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
  });

  it('gets exactly the variables its config schema knows, and the schema accepts them', () => {
    const env = containerEnvironment(container);
    const known = schemaKeys(schema);
    const unknown = Object.keys(env).filter((k) => !known.has(k) && !NON_CONFIG_VARIABLES.has(k));
    expect(unknown, 'variables no schema reads (typo or stale)').toEqual([]);
    const result = schema.safeParse(env);
    expect(result.success ? [] : result.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`)).toEqual([]);
    expect(env.EVENT_TRANSPORT).toBe('servicebus');
    expect(env.RUN_MIGRATIONS).toBe('false');
  });
});

describe('maintenance CronJobs and the migrate Job', () => {
  it('each CronJob container gets a configuration the maintenance schema accepts', () => {
    const cronJobs = ofKind(manifests, 'CronJob');
    expect(cronJobs.length).toBeGreaterThanOrEqual(1);
    const known = schemaKeys(maintenanceServiceConfigSchema);
    for (const cronJob of cronJobs) {
      const container = podSpecOf(cronJob).containers[0];
      expect((container.args ?? container.command).join(' ')).toMatch(/dist\/cli\.js (cleanup|reconcile)/);
      const env = containerEnvironment(container);
      const unknown = Object.keys(env).filter((k) => !known.has(k) && !NON_CONFIG_VARIABLES.has(k));
      expect(unknown).toEqual([]);
      const result = maintenanceServiceConfigSchema.safeParse(env);
      expect(result.success ? [] : result.error.issues.map((i) => String(i.path[0]))).toEqual([]);
    }
  });

  it('the migrate Job runs the @astria/db CLI with DATABASE_URL, labelled to go before the rollout', () => {
    const job = get('Job', 'astria-migrate');
    const container = podSpecOf(job).containers[0];
    expect(container.command).toEqual(['node', 'node_modules/@astria/db/dist/cli.js']);
    const env = containerEnvironment(container);
    expect(Object.keys(env).sort()).toEqual(['DATABASE_URL', 'NODE_ENV']);
    expect(sharedConfigSchema.safeParse(env).success).toBe(true);
    // deploy.yml applies `-l astria.dev/stage=pre-deploy` first: the Job and all it needs carry the label.
    for (const key of ['Namespace/astria-bot', 'ServiceAccount/migrate', 'SecretProviderClass/migrate-secrets']) {
      expect(manifests.get(key)?.metadata.labels?.['astria.dev/stage'], key).toBe('pre-deploy');
    }
    expect(job.metadata.labels?.['astria.dev/stage']).toBe('pre-deploy');
    // The CLI resolves ../migrations from its dist: the package must ship that folder.
    const dbPackage = JSON.parse(readFileSync(join(repoRoot, 'packages/db/package.json'), 'utf8'));
    expect(dbPackage.files).toEqual(expect.arrayContaining(['dist', 'migrations']));
    expect(readFileSync(join(repoRoot, 'packages/db/src/migrate.ts'), 'utf8')).toContain("'../migrations'");
  });
});

describe('secrets', () => {
  it('each SecretProviderClass syncs exactly the Key Vault objects it mounts, into secret variables', () => {
    for (const spc of ofKind(manifests, 'SecretProviderClass')) {
      const mounted = (parseYaml(spc.spec.parameters.objects).array as string[]).map(
        (o) => (parseYaml(o) as { objectName: string }).objectName,
      );
      const synced = (spc.spec.secretObjects[0].data as { objectName: string; key: string }[]).map((d) => d.objectName);
      expect(synced.sort()).toEqual([...mounted].sort());
      for (const { objectName, key } of spc.spec.secretObjects[0].data as { objectName: string; key: string }[]) {
        expect(SECRET_VARIABLES.has(key), `${key} must be marked secret in @astria/config`).toBe(true);
        expect(objectName).toBe(key.toLowerCase().replaceAll('_', '-'));
      }
    }
  });

  it('every Key Vault secret a pod mounts is created by Terraform or listed for the operator to set', () => {
    const keyvaultTf = readFileSync(join(repoRoot, 'infra/azure/keyvault.tf'), 'utf8');
    const generated = [...keyvaultTf.matchAll(/^\s+"([a-z-]+)"\s+=/gm)].map((m) => m[1]);
    const external = [
      ...(keyvaultTf.match(/external_secret_names = \[([\s\S]*?)\]/)?.[1] ?? '').matchAll(/"([a-z-]+)"/g),
    ].map((m) => m[1]);
    const provided = new Set([...generated, ...external]);
    for (const spc of ofKind(manifests, 'SecretProviderClass')) {
      for (const { objectName } of spc.spec.secretObjects[0].data as { objectName: string }[]) {
        expect(provided.has(objectName), objectName).toBe(true);
      }
    }
  });

  it('the root module passes the generated Service Bus topology module exactly the inputs it declares', () => {
    const moduleDir = join(repoRoot, 'infra/azure/servicebus');
    expect(existsSync(moduleDir), 'infra/azure/servicebus (generated from the event catalog)').toBe(true);
    const moduleTf = readdirSync(moduleDir)
      .filter((f) => f.endsWith('.tf'))
      .map((f) => readFileSync(join(moduleDir, f), 'utf8'))
      .join('\n');
    const required = [...moduleTf.matchAll(/^variable "([a-z_0-9]+)" \{([\s\S]*?)^\}/gm)]
      .filter((m) => !/^\s+default\s+=/m.test(m[2] ?? ''))
      .map((m) => m[1]);
    const declared = [...moduleTf.matchAll(/^variable "([a-z_0-9]+)"/gm)].map((m) => m[1]);
    const call = readFileSync(join(repoRoot, 'infra/azure/servicebus.tf'), 'utf8').match(
      /module "servicebus_topology" \{([\s\S]*?)^\}/m,
    )?.[1];
    expect(call).toContain('source       = "./servicebus"');
    const passed = [...(call ?? '').matchAll(/^\s+([a-z_0-9]+)\s+=/gm)].map((m) => m[1]).filter((n) => n !== 'source');
    for (const name of required) expect(passed, `required input ${name}`).toContain(name);
    for (const name of passed) expect(declared, `input ${name} must be a variable of the module`).toContain(name);
  });

  it('Terraform federates one identity per ServiceAccount, in the kustomization namespace', () => {
    const mainTf = readFileSync(join(repoRoot, 'infra/azure/main.tf'), 'utf8');
    const workloads = [
      ...(mainTf.match(/workloads = \{([\s\S]*?)\n {2}\}/)?.[1] ?? '').matchAll(/"([a-z-]+)"\s+=/g),
    ].map((m) => m[1]);
    expect(workloads.sort()).toEqual(
      ofKind(manifests, 'ServiceAccount')
        .map((sa) => sa.metadata.name)
        .sort(),
    );
    const variablesTf = readFileSync(join(repoRoot, 'infra/azure/variables.tf'), 'utf8');
    const namespace = variablesTf.match(/variable "kubernetes_namespace" \{[\s\S]*?default\s+=\s+"([^"]+)"/)?.[1];
    const kustomization = readYamlDocuments(join(baseDir, 'kustomization.yaml'))[0] as { namespace: string };
    expect(namespace).toBe(kustomization.namespace);
  });
});

describe('ingress', () => {
  it('routes each webhook path to the service that owns it, over TLS', () => {
    const ingress = get('Ingress', 'astria-webhooks');
    const routes = Object.fromEntries(
      (ingress.spec.rules[0].http.paths as Manifest[]).map((p): [string, string] => [p.path, p.backend.service.name]),
    );
    expect(routes).toEqual({
      '/whatsapp/webhook': 'message-service',
      '/tune-trained': 'image-service',
      '/pack-tune-received': 'image-service',
      '/update-images': 'image-service',
      '/media': 'image-service',
      '/payment-received': 'payment-service',
      '/stripe/webhook': 'payment-service',
    });
    for (const service of Object.values(routes)) get('Service', service);
    expect(ingress.spec.tls[0].hosts).toEqual([ingress.spec.rules[0].host]);
  });

  it('reaches none of the internal endpoints (operator /ops/*, /metrics, /runs, /health)', () => {
    const ingress = get('Ingress', 'astria-webhooks');
    const paths = ingress.spec.rules[0].http.paths as Array<{ path: string; pathType: string }>;
    const routed = (url: string) =>
      paths.some((p) => p.path === url || (p.pathType === 'Prefix' && url.startsWith(`${p.path.replace(/\/$/, '')}/`)));
    for (const url of ['/ops/ping', '/ops/ping/x', '/ops/dead-letters', '/metrics', '/runs', '/health/ready']) {
      expect(routed(url), url).toBe(false);
    }
    expect(routed('/media/x')).toBe(true);
  });
});

describe.each(['staging', 'production'])('overlay %s', (overlay) => {
  const dir = join(kubernetesDir, 'overlays', overlay);
  const kustomization = readYamlDocuments(join(dir, 'kustomization.yaml'))[0] as Manifest;

  it('sets an image for every service image the base uses', () => {
    const used = new Set<string>();
    for (const workload of [
      ...ofKind(manifests, 'Deployment'),
      ...ofKind(manifests, 'Job'),
      ...ofKind(manifests, 'CronJob'),
    ]) {
      for (const c of podSpecOf(workload).containers) used.add(String(c.image).split(':')[0] ?? '');
    }
    const set = new Set((kustomization.images as { name: string }[]).map((i) => i.name));
    for (const image of used) expect(set.has(image), image).toBe(true);
  });

  it('patches only objects the overlay renders (of the base or of its components)', () => {
    const rendered = new Set(renderKustomization(dir).map((o) => `${o.kind}/${o.metadata.name}`));
    for (const { path, target } of kustomization.patches as { path: string; target?: Manifest }[]) {
      for (const doc of readYamlDocuments(join(dir, path)) as Manifest[]) {
        const key = `${target?.kind ?? doc.kind}/${target?.name ?? doc.metadata.name}`;
        expect(rendered.has(key), `${path}: ${key}`).toBe(true);
      }
    }
  });

  it.each([
    ['azure.env', 'azure-settings'],
    ['app.env', 'app-settings'],
  ])('%s defines exactly the values the components copy from the %s ConfigMap', (file, configMap) => {
    const replacements = (kustomization.components as string[]).flatMap(
      (component) =>
        ((readYamlDocuments(join(dir, component, 'kustomization.yaml'))[0] as Manifest).replacements ??
          []) as Manifest[],
    );
    const wanted = replacements
      .filter((r) => r.source.name === configMap)
      .map((r) => String(r.source.fieldPath).replace('data.', ''));
    const defined = readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => line.split('=')[0]);
    expect([...defined].sort()).toEqual([...new Set(wanted)].sort());
    for (const replacement of replacements.filter((r) => r.source.name === configMap)) {
      for (const target of replacement.targets as Manifest[]) {
        const matches = [...manifests.values()].filter(
          (m) => m.kind === target.select.kind && (!target.select.name || m.metadata.name === target.select.name),
        );
        const inComponent = ['ScaledObject', 'TriggerAuthentication'].includes(target.select.kind);
        expect(matches.length > 0 || inComponent, JSON.stringify(target.select)).toBe(true);
      }
    }
  });

  it('uses no file that does not exist', () => {
    for (const resource of kustomization.resources as string[]) expect(existsSync(join(dir, resource))).toBe(true);
    for (const component of kustomization.components as string[]) expect(existsSync(join(dir, component))).toBe(true);
  });
});
