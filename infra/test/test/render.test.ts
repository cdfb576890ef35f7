import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { kubernetesDir, type Manifest } from './manifests.js';
import { renderKustomization } from './render.js';

const kubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const key = (m: Manifest) => `${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`;
const sorted = (objects: Manifest[]) =>
  Object.fromEntries(
    objects.map((m) => [key(m), JSON.parse(JSON.stringify(m))]).sort(([a], [b]) => a.localeCompare(b)),
  );

describe.each(['staging', 'production'])('render.ts on overlay %s', (overlay) => {
  // CI has no kubectl (Node and pnpm only): there the renderer is trusted as checked here on machines that have it.
  it.skipIf(!kubectl)('renders exactly what kubectl kustomize renders (skipped where kubectl is not installed)', () => {
    const dir = join(kubernetesDir, 'overlays', overlay);
    const rendered = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
    const expected = parseAllDocuments(rendered).map((d) => d.toJS() as Manifest);
    expect(sorted(renderKustomization(dir))).toEqual(sorted(expected));
  });
});
