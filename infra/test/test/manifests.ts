import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const kubernetesDir = join(repoRoot, 'infra', 'kubernetes');
export const baseDir = join(kubernetesDir, 'base');

// biome-ignore lint/suspicious/noExplicitAny: manifests are free-form YAML, checked field by field
export type Manifest = Record<string, any> & {
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
};

/** Every YAML document of a file, parsed strictly (a syntax error fails the test that reads it). */
export function readYamlDocuments(path: string): unknown[] {
  const documents = parseAllDocuments(readFileSync(path, 'utf8'), { prettyErrors: true });
  const out: unknown[] = [];
  for (const document of documents) {
    if (document.errors.length > 0) throw new Error(`${path}: ${document.errors.map((e) => e.message).join('; ')}`);
    const value = document.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

export function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort();
}

/** The base's manifests as written (every resource file of its kustomization and of its kustomization directories), keyed "Kind/name". */
export function baseManifests(dir = baseDir, out = new Map<string, Manifest>()): Map<string, Manifest> {
  const kustomization = readYamlDocuments(join(dir, 'kustomization.yaml'))[0] as { resources: string[] };
  for (const resource of kustomization.resources) {
    if (!/\.ya?ml$/.test(resource)) {
      baseManifests(join(dir, resource), out);
      continue;
    }
    for (const doc of readYamlDocuments(join(dir, resource)) as Manifest[]) {
      const key = `${doc.kind}/${doc.metadata.name}`;
      if (out.has(key)) throw new Error(`${key} is defined twice`);
      out.set(key, doc);
    }
  }
  return out;
}

export function ofKind(manifests: Map<string, Manifest>, kind: string): Manifest[] {
  return [...manifests.values()].filter((m) => m.kind === kind);
}

/** The pod spec of a Deployment, Job or CronJob. */
export function podSpecOf(workload: Manifest): Manifest {
  if (workload.kind === 'CronJob') return workload.spec.jobTemplate.spec.template.spec;
  return workload.spec.template.spec;
}
