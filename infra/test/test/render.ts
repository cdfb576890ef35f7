import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { type Manifest, readYamlDocuments } from './manifests.js';

/**
 * A kustomize build of this repo's overlays in TypeScript, for machines without kubectl (CI runs only
 * Node and pnpm, and no npm package ships a working kustomize). It implements exactly the features the
 * overlays use — resources (files and kustomization directories, in kustomizations and components),
 * components, namespace, nameSuffix, labels (with includeSelectors for Services, Deployments,
 * PodDisruptionBudgets and ScaledObjects), configMapGenerator from env files, images (newName, newTag,
 * digest), strategic-merge patches of maps (null deletes a key, `$patch: delete` removes the object; lists
 * are replaced whole), by name or by `target` (kind, name, labelSelector with `key`, `!key`, `key=value`,
 * `key!=value`), and replacements (dotted paths, `[key]` annotations, list indices, `[field=value]`
 * selectors, delimiter/index) — and refuses anything else. A test compares it with `kubectl kustomize`
 * wherever kubectl is installed.
 *
 * `overrides` stands in for what deploy.yml does before rendering: keys that are paths of env files replace
 * their content (azure.env, app.env), and `image:<name>` keys replace an `images` entry of the top overlay
 * (JSON of { newName, digest }, as `kustomize edit set image` writes it).
 */

type Kustomization = Manifest & {
  namespace?: string;
  resources?: string[];
  components?: string[];
  labels?: { pairs: Record<string, string>; includeSelectors?: boolean }[];
  configMapGenerator?: {
    name: string;
    envs: string[];
    options?: { disableNameSuffixHash?: boolean; labels?: Record<string, string> };
  }[];
  images?: { name: string; newName?: string; newTag?: string; digest?: string }[];
  nameSuffix?: string;
  patches?: (({ path: string } | { patch: string }) & { target?: PatchTarget })[];
  replacements?: Replacement[];
};

interface PatchTarget {
  kind?: string;
  name?: string;
  labelSelector?: string;
}

interface Replacement {
  source: { kind: string; name: string; fieldPath: string; options?: { delimiter?: string; index?: number } };
  targets: { select: { kind: string; name?: string }; fieldPaths: string[] }[];
}

const SUPPORTED = new Set([
  'apiVersion',
  'kind',
  'namespace',
  'nameSuffix',
  'resources',
  'components',
  'labels',
  'configMapGenerator',
  'images',
  'patches',
  'replacements',
]);

/** Namespaced kinds that get the kustomization namespace (every kind the repo uses but Namespace). */
const CLUSTER_SCOPED = new Set(['Namespace']);

export function renderKustomization(dir: string, envOverrides: Record<string, string> = {}): Manifest[] {
  const replacements: Replacement[] = [];
  const objects = build(dir, envOverrides, replacements);
  // kustomize runs replacements last, after every generator of the build (components read the overlay's ConfigMaps).
  for (const replacement of replacements) applyReplacement(objects, replacement);
  return objects;
}

function build(dir: string, envOverrides: Record<string, string>, replacements: Replacement[]): Manifest[] {
  const kustomization = readYamlDocuments(join(dir, 'kustomization.yaml'))[0] as Kustomization;
  for (const key of Object.keys(kustomization)) {
    if (!SUPPORTED.has(key)) throw new Error(`${dir}: kustomization field ${key} is not supported by render.ts`);
  }
  let objects: Manifest[] = [];
  for (const resource of kustomization.resources ?? []) objects.push(...loadResource(dir, resource, envOverrides));
  for (const component of kustomization.components ?? []) {
    objects = applyKustomization(join(dir, component), objects, envOverrides, replacements);
  }
  return applyKustomization(dir, objects, envOverrides, replacements, kustomization, true);
}

/** A resource entry: a YAML file, or a kustomization directory built on its own first. */
function loadResource(dir: string, resource: string, envOverrides: Record<string, string>): Manifest[] {
  const path = join(dir, resource);
  if (resource.endsWith('.yaml') || resource.endsWith('.yml')) return readYamlDocuments(path) as Manifest[];
  return renderKustomization(path, envOverrides);
}

function applyKustomization(
  dir: string,
  input: Manifest[],
  envOverrides: Record<string, string>,
  replacements: Replacement[],
  given?: Kustomization,
  resourcesDone = false,
): Manifest[] {
  const kustomization = given ?? (readYamlDocuments(join(dir, 'kustomization.yaml'))[0] as Kustomization);
  for (const key of Object.keys(kustomization)) {
    if (!SUPPORTED.has(key)) throw new Error(`${dir}: kustomization field ${key} is not supported by render.ts`);
  }
  const objects = [...input];
  if (!resourcesDone) {
    for (const resource of kustomization.resources ?? []) objects.push(...loadResource(dir, resource, envOverrides));
  }
  for (const generator of kustomization.configMapGenerator ?? []) {
    if (generator.options?.disableNameSuffixHash !== true) throw new Error('only disableNameSuffixHash generators');
    const data: Record<string, string> = {};
    for (const env of generator.envs) {
      const text = envOverrides[join(dir, env)] ?? readFileSync(join(dir, env), 'utf8');
      for (const line of text.split('\n')) {
        const match = line.match(/^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/);
        if (match?.[1]) data[match[1]] = match[2] ?? '';
      }
    }
    const metadata: Manifest['metadata'] = { name: generator.name };
    if (generator.options.labels) metadata.labels = { ...generator.options.labels };
    objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata, data });
  }
  for (const entry of kustomization.patches ?? []) {
    const docs = 'path' in entry ? readYamlDocuments(join(dir, entry.path)) : [parseDocument(entry.patch).toJS()];
    for (const patch of docs as Manifest[]) {
      const matches = entry.target
        ? objects.flatMap((o, i) => (matchesTarget(o, entry.target as PatchTarget) ? [i] : []))
        : objects.flatMap((o, i) => (o.kind === patch.kind && o.metadata.name === patch.metadata.name ? [i] : []));
      if (matches.length === 0)
        throw new Error(`${dir}: no resource matches patch ${patch.kind}/${patch.metadata.name}`);
      for (const index of matches.reverse()) {
        if (patch.$patch === 'delete') objects.splice(index, 1);
        // A targeted patch applies to each match whatever name it gives itself.
        else
          objects[index] = mergePatch(objects[index], {
            ...patch,
            metadata: { ...patch.metadata, name: objects[index]?.metadata.name },
          }) as Manifest;
      }
    }
  }
  const images = (kustomization.images ?? []).map((image) =>
    resourcesDone && envOverrides[`image:${image.name}`]
      ? { name: image.name, ...JSON.parse(envOverrides[`image:${image.name}`] as string) }
      : image,
  );
  for (const image of images) {
    for (const object of objects) {
      for (const container of containersOf(object)) {
        const name = String(container.image).split(/[@:]/)[0];
        if (name !== image.name) continue;
        const suffix = image.digest ? `@${image.digest}` : image.newTag ? `:${image.newTag}` : '';
        container.image = `${image.newName ?? name}${suffix}`;
      }
    }
  }
  replacements.push(...(kustomization.replacements ?? []));
  if (kustomization.namespace) {
    for (const object of objects) {
      if (CLUSTER_SCOPED.has(object.kind)) {
        if (object.kind === 'Namespace') object.metadata.name = kustomization.namespace;
      } else object.metadata = { ...object.metadata, namespace: kustomization.namespace };
    }
  }
  for (const { pairs, includeSelectors } of kustomization.labels ?? []) {
    for (const object of objects) {
      object.metadata.labels = { ...object.metadata.labels, ...pairs };
      if (includeSelectors) addToSelectors(object, pairs);
    }
  }
  if (kustomization.nameSuffix) {
    for (const object of objects) object.metadata.name = `${object.metadata.name}${kustomization.nameSuffix}`;
  }
  return objects;
}

/** `kind`, `name` (a regular expression, whole name) and `labelSelector` of a patch's target. */
function matchesTarget(object: Manifest, target: PatchTarget): boolean {
  if (target.kind && object.kind !== target.kind) return false;
  if (target.name && !new RegExp(`^(?:${target.name})$`).test(object.metadata.name)) return false;
  const labels = object.metadata.labels ?? {};
  for (const term of (target.labelSelector ?? '').split(',').map((t) => t.trim())) {
    if (!term) continue;
    const match = term.match(/^(!)?([^!=]+)(?:(!?=)(.*))?$/);
    if (!match) throw new Error(`labelSelector term ${term} is not supported by render.ts`);
    const [, not, key, op, value] = match as [string, string | undefined, string, string | undefined, string];
    const has = Object.hasOwn(labels, key);
    if (not ? has : op === undefined ? !has : op === '=' ? labels[key] !== value : labels[key] === value) return false;
  }
  return true;
}

/** labels with includeSelectors: the pairs go into the selectors (and pod templates) of the kinds the repo colours. */
function addToSelectors(object: Manifest, pairs: Record<string, string>): void {
  const add = (labels: Record<string, string> | undefined) => ({ ...labels, ...pairs });
  switch (object.kind) {
    case 'Service':
      object.spec.selector = add(object.spec.selector);
      return;
    case 'PodDisruptionBudget':
      object.spec.selector.matchLabels = add(object.spec.selector.matchLabels);
      return;
    case 'Deployment': {
      object.spec.selector.matchLabels = add(object.spec.selector.matchLabels);
      const template = object.spec.template;
      template.metadata = { ...template.metadata, labels: add(template.metadata?.labels) };
      for (const constraint of template.spec.topologySpreadConstraints ?? [])
        if (constraint.labelSelector) constraint.labelSelector.matchLabels = add(constraint.labelSelector.matchLabels);
      if (template.spec.affinity) throw new Error('includeSelectors with pod affinity is not supported by render.ts');
      return;
    }
    case 'ScaledObject':
    case 'HorizontalPodAutoscaler':
      return; // no label selector of their own (they name their target)
    default:
      throw new Error(`labels with includeSelectors on a ${object.kind} are not supported by render.ts`);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: free-form YAML values
function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

// biome-ignore lint/suspicious/noExplicitAny: free-form YAML values
function containersOf(object: Manifest): any[] {
  const pod =
    object.kind === 'CronJob'
      ? object.spec?.jobTemplate?.spec?.template?.spec
      : ['Deployment', 'Job'].includes(object.kind)
        ? object.spec?.template?.spec
        : undefined;
  return [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])];
}

/** `a.b.[x/y].0.[type=cpu].c` → segments. */
function segments(path: string): string[] {
  const out: string[] = [];
  for (const match of path.matchAll(/\[([^\]]+)\]|([^.[\]]+)/g)) out.push((match[1] ?? match[2]) as string);
  return out;
}

// biome-ignore lint/suspicious/noExplicitAny: free-form YAML values
function resolveAll(node: any, parts: string[]): { parent: any; key: string | number }[] {
  const [head, ...rest] = parts;
  if (head === undefined || node === null || typeof node !== 'object') return [];
  let keys: (string | number)[];
  if (Array.isArray(node)) {
    const selector = head.match(/^([^=]+)=(.*)$/);
    if (selector) keys = node.flatMap((item, i) => (String(item?.[selector[1] as string]) === selector[2] ? [i] : []));
    else keys = [Number(head)];
  } else keys = [head];
  if (rest.length === 0) return keys.map((key) => ({ parent: node, key }));
  return keys.flatMap((key) => resolveAll(node[key], rest));
}

function applyReplacement(objects: Manifest[], { source, targets }: Replacement): void {
  const from = objects.find((o) => o.kind === source.kind && o.metadata.name === source.name);
  if (!from) throw new Error(`replacement source ${source.kind}/${source.name} not found`);
  const [found] = resolveAll(from, segments(source.fieldPath));
  if (!found || found.parent[found.key] === undefined)
    throw new Error(`replacement source ${source.fieldPath} not found`);
  let value = found.parent[found.key];
  if (source.options?.delimiter !== undefined)
    value = String(value).split(source.options.delimiter)[source.options.index ?? 0];
  for (const target of targets) {
    const selected = objects.filter(
      (o) => o.kind === target.select.kind && (!target.select.name || o.metadata.name === target.select.name),
    );
    for (const object of selected) {
      for (const path of target.fieldPaths) {
        const places = resolveAll(object, segments(path));
        if (places.length === 0)
          throw new Error(`replacement target ${object.kind}/${object.metadata.name} ${path} not found`);
        for (const { parent, key } of places) parent[key] = value;
      }
    }
  }
}
