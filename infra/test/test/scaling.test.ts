import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kubernetesDir, type Manifest, readYamlDocuments, repoRoot } from './manifests.js';
import { renderKustomization } from './render.js';

const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');
/** Terraform interpolations, spelled literally. */
const DOLLAR = '$';

/** Consumer service → the topics it has a subscription on, from the generated topology module. */
function subscriptionsByService(): Map<string, string[]> {
  const tf = read('infra/azure/servicebus/main.tf');
  const topics = new Map(
    [...tf.matchAll(/resource "azurerm_servicebus_topic" "(\w+)" \{\s*name\s*=\s*"([^"]+)"/g)].map((m) => [
      m[1] as string,
      m[2] as string,
    ]),
  );
  const out = new Map<string, string[]>();
  for (const m of tf.matchAll(/resource "azurerm_servicebus_subscription" "(\w+?)__\w+" \{\s*name\s*=\s*"([^"]+)"/g)) {
    const list = out.get(m[2] as string) ?? [];
    list.push(topics.get(m[1] as string) as string);
    out.set(m[2] as string, list);
  }
  return out;
}

describe('KEDA: consumers scale on Service Bus backlog (components/keda-servicebus)', () => {
  const component = join(kubernetesDir, 'components/keda-servicebus');
  // message-service's ScaledObject has a kustomization of its own (components/blue-green colours it).
  const scaledObjects = ['scaled-objects.yaml', 'message-service/scaled-object.yaml']
    .flatMap((file) => readYamlDocuments(join(component, file)) as Manifest[])
    .filter((m) => m.kind === 'ScaledObject');

  it('each consumer has a ScaledObject with one trigger per subscription it reads, plus CPU and memory', () => {
    const subscriptions = subscriptionsByService();
    expect(scaledObjects.map((s) => s.metadata.name).sort()).toEqual([...subscriptions.keys()].sort());
    for (const scaled of scaledObjects) {
      const name = scaled.metadata.name;
      expect(scaled.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
      const triggers = scaled.spec.triggers as Manifest[];
      expect(triggers.filter((t) => t.type !== 'azure-servicebus').map((t) => t.type)).toEqual(['cpu', 'memory']);
      const servicebus = triggers.filter((t) => t.type === 'azure-servicebus') as unknown as {
        metadata: Record<string, string>;
        authenticationRef: unknown;
      }[];
      expect(servicebus.map((t) => t.metadata.topicName).sort()).toEqual([...(subscriptions.get(name) ?? [])].sort());
      for (const trigger of servicebus) {
        expect(trigger.metadata.subscriptionName).toBe(name);
        expect(trigger.authenticationRef).toEqual({ name: 'servicebus-workload-identity' });
      }
    }
  });

  it('authenticates with workload identity, and replaces (not doubles) the HPA of each consumer', () => {
    const auth = (readYamlDocuments(join(component, 'scaled-objects.yaml')) as Manifest[]).find(
      (m) => m.kind === 'TriggerAuthentication',
    ) as Manifest;
    expect(auth.spec.podIdentity.provider).toBe('azure-workload');
    for (const overlay of ['staging', 'production']) {
      const objects = renderKustomization(join(kubernetesDir, 'overlays', overlay));
      const hpaTargets = objects
        .filter((o) => o.kind === 'HorizontalPodAutoscaler')
        .map((o) => o.spec.scaleTargetRef.name);
      const scaled = objects.filter((o) => o.kind === 'ScaledObject');
      const scaledTargets = scaled.map((o) => o.spec.scaleTargetRef.name);
      // One ScaledObject per consumer Deployment (message-service: one per colour), each with an HPA name of its own.
      const consumers = objects
        .filter(
          (o) =>
            o.kind === 'Deployment' &&
            subscriptionsByService().has(o.metadata.labels?.['app.kubernetes.io/name'] ?? ''),
        )
        .map((o) => o.metadata.name);
      expect([...scaledTargets].sort()).toEqual([...consumers].sort());
      const hpaNames = scaled.map(
        (o) => o.spec.advanced?.horizontalPodAutoscalerConfig?.name ?? `keda-hpa-${o.metadata.name}`,
      );
      expect(new Set(hpaNames).size).toBe(hpaNames.length);
      for (const target of scaledTargets) expect(hpaTargets, `${overlay}: ${target}`).not.toContain(target);
      const namespaceName = objects
        .find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'azure-settings')
        ?.data.SERVICEBUS_NAMESPACE.split('.')[0];
      for (const scaled of objects.filter((o) => o.kind === 'ScaledObject')) {
        for (const trigger of (scaled.spec.triggers as Manifest[]).filter((t) => t.type === 'azure-servicebus')) {
          expect(trigger.metadata.namespace).toBe(namespaceName);
        }
        expect(scaled.spec.maxReplicaCount).toBeGreaterThan(scaled.spec.minReplicaCount);
      }
    }
  });

  it('Terraform runs the KEDA add-on and federates its operator with an identity that may read subscription lengths', () => {
    expect(read('infra/azure/aks.tf')).toMatch(/workload_autoscaler_profile \{\s*keda_enabled = true/);
    const keda = read('infra/azure/keda.tf');
    expect(keda).toContain('subject             = "system:serviceaccount:kube-system:keda-operator"');
    expect(keda).toContain('role_definition_name = "Azure Service Bus Data Owner"');
    expect(read('infra/azure/outputs.tf')).toContain(
      `KEDA_CLIENT_ID=${DOLLAR}{azurerm_user_assigned_identity.keda.client_id}`,
    );
  });

  it('operators get the Service Bus data roles `pnpm events dlq` needs (receive and send), for a group variable', () => {
    const keda = read('infra/azure/keda.tf');
    for (const role of ['Azure Service Bus Data Receiver', 'Azure Service Bus Data Sender']) {
      expect(keda).toMatch(
        new RegExp(
          `count\\s+= var.operators_group_object_id == null \\? 0 : 1[\\s\\S]*?role_definition_name = "${role}"`,
        ),
      );
    }
    expect(read('infra/azure/variables.tf')).toContain('variable "operators_group_object_id"');
  });
});

describe('one name for each Azure resource across docs, overlays and Terraform', () => {
  const tf = [
    'main.tf',
    'aks.tf',
    'servicebus.tf',
    'postgres.tf',
    'keyvault.tf',
    'storage.tf',
    'prometheus.tf',
    'alerts.tf',
  ]
    .map((f) => read(`infra/azure/${f}`))
    .join('\n');
  const docs = [
    'README.md',
    ...['deploy', 'kubernetes', 'servicebus', 'dead-letters', 'alerts', 'scaling', 'restore-drill', 'validation'].map(
      (f) => `docs/operations/${f}.md`,
    ),
  ]
    .map(read)
    .join('\n');

  it('Terraform names resources <type>-<local.name> (or the compact form for registries, vaults, storage)', () => {
    for (const prefix of ['rg', 'aks', 'sb', 'psql', 'amw', 'log', 'appi', 'prg', 'ag']) {
      expect(tf, prefix).toContain(`"${prefix}-${DOLLAR}{local.name}`);
    }
    for (const compact of [
      `acr${DOLLAR}{local.compact_name}`,
      `kv-${DOLLAR}{local.compact_name}-`,
      `st${DOLLAR}{local.compact_name}`,
    ]) {
      expect(tf, compact).toContain(compact);
    }
  });

  it('docs and overlays use only those names', () => {
    const overlays = ['staging', 'production'].map((e) => read(`infra/kubernetes/overlays/${e}/azure.env`)).join('\n');
    const text = `${docs}\n${overlays}`;
    const wrong = [
      ...text.matchAll(/\b(?:rg|aks|sb|psql|amw|log|appi|prg|ag)-astria-[\w<>-]+/g),
      ...text.matchAll(/\b(?:kv-astria|acrastria|stastria)[\w<>-]*/g),
      ...text.matchAll(/\bastria-(?:prod|staging|stg)-(?:sb|kv)\b|\bastria(?:prod|staging)acr\b/g),
    ]
      .map((m) => m[0])
      .filter(
        (name) =>
          !/^(rg|aks|sb|psql|amw|log|appi|prg|ag)-astria-(<env>|staging|production|tfstate)/.test(name) &&
          !/^(kv-astria|acrastria|stastria)(<e>|stg|prod)/.test(name) &&
          name !== 'stastriatfstate', // the Terraform state account, created by hand before Terraform
      );
    expect(wrong).toEqual([]);
  });
});
