import { Ajv } from 'ajv';
import type { Manifest } from './manifests.js';

/**
 * The Secrets Store CSI driver's SecretProviderClass (secrets-store.csi.x-k8s.io/v1), written from its CRD
 * (no npm package ships it): provider and parameters (string map) required; secretObjects sync mounted
 * objects into Secrets. Strict: an unknown field is an error.
 */
const secretProviderClassSchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: 'secrets-store.csi.x-k8s.io/v1' },
    kind: { const: 'SecretProviderClass' },
    metadata: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' },
        namespace: { type: 'string' },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        annotations: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    spec: {
      type: 'object',
      required: ['provider', 'parameters'],
      additionalProperties: false,
      properties: {
        provider: { type: 'string', enum: ['azure'] },
        parameters: { type: 'object', additionalProperties: { type: 'string' } },
        secretObjects: {
          type: 'array',
          items: {
            type: 'object',
            required: ['secretName', 'type', 'data'],
            additionalProperties: false,
            properties: {
              secretName: { type: 'string' },
              type: { type: 'string' },
              labels: { type: 'object', additionalProperties: { type: 'string' } },
              annotations: { type: 'object', additionalProperties: { type: 'string' } },
              data: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['objectName', 'key'],
                  additionalProperties: false,
                  properties: { objectName: { type: 'string' }, key: { type: 'string' } },
                },
              },
            },
          },
        },
      },
    },
  },
};

const ajv = new Ajv({ allErrors: true, strict: true });
const validateSecretProviderClass = ajv.compile(secretProviderClassSchema);

/** kubernetes-models module of an apiVersion/kind: core (v1), built-in groups, KEDA. */
function modulePath(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (group === 'keda.sh') return `@kubernetes-models/keda/keda.sh/${version}/${kind}`;
  return group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`;
}

/** Schema errors of one object ([] when valid): Kubernetes API schemas offline (kubernetes-models), KEDA, CSI. */
export async function schemaErrors(object: Manifest): Promise<string[]> {
  const id = `${object.kind}/${object.metadata?.name}`;
  if (object.apiVersion === 'secrets-store.csi.x-k8s.io/v1' && object.kind === 'SecretProviderClass') {
    return validateSecretProviderClass(object)
      ? []
      : (validateSecretProviderClass.errors ?? []).map((e) => `${id}: ${e.instancePath} ${e.message}`);
  }
  let model: { new (data: unknown): { validate(): void } };
  try {
    const module = (await import(modulePath(String(object.apiVersion), object.kind))) as Record<string, typeof model>;
    model = module[object.kind] as typeof model;
    if (!model) throw new Error('no model');
  } catch {
    return [`${id}: no schema for ${object.apiVersion} ${object.kind}`];
  }
  try {
    new model(object).validate();
    return [];
  } catch (error) {
    return [`${id}: ${(error as Error).message}`];
  }
}
