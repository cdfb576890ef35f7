import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
// @ts-expect-error: a plain ES module script without types
import { findPlaceholders } from '../../kubernetes/check-render.mjs';
import { kubernetesDir, type Manifest, podSpecOf } from './manifests.js';
import { renderKustomization } from './render.js';
import { schemaErrors } from './schemas.js';

const OVERLAYS = ['staging', 'production'];
const NAMESPACE = 'astria-bot';
const checkScript = join(kubernetesDir, 'check-render.mjs');
const toYaml = (objects: Manifest[]) => objects.map((o) => stringify(o)).join('---\n');
const find = findPlaceholders as (rendered: string) => string[];

/** What a deploy writes before rendering: azure.env and app.env from the environment, images pinned by digest. */
function deployOverrides(overlay: string): Record<string, string> {
  const dir = join(kubernetesDir, 'overlays', overlay);
  const guid = (n: number) => `1b4e28ba-2fa1-11d2-883f-0016d3cca4${String(n).padStart(2, '0')}`;
  const azure = readFileSync(join(dir, 'azure.env'), 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line, i) => {
      const [k] = line.split('=');
      if (k?.endsWith('_ID')) return `${k}=${guid(i)}`;
      if (k === 'INGRESS_HOST') return `${k}=bot.astria-portraits.co.il`;
      if (k === 'PUBLIC_BASE_URL') return `${k}=https://bot.astria-portraits.co.il`;
      if (k === 'BLOB_PUBLIC_BASE_URL') return `${k}=https://bot.astria-portraits.co.il/media`;
      return line.replace('-0000', '-a1b2');
    })
    .join('\n');
  const app = [
    'WHATSAPP_NUMBER_ID=106540352242922',
    'LITE_TIER_PAYMENT_LINK=https://pay.sumit.co.il/abc/lite',
    'STANDARD_TIER_PAYMENT_LINK=https://pay.sumit.co.il/abc/standard',
    'PREMIUM_TIER_PAYMENT_LINK=https://pay.sumit.co.il/abc/premium',
    'SUPPORT_CONTACT=support@astria-portraits.co.il',
  ].join('\n');
  const out: Record<string, string> = { [join(dir, 'azure.env')]: azure, [join(dir, 'app.env')]: app };
  for (const service of ['message-service', 'image-service', 'payment-service', 'maintenance-service']) {
    out[`image:astria/${service}`] = JSON.stringify({
      newName: `acrastria${overlay === 'production' ? 'prod' : 'stg'}a1b2c3.azurecr.io/astria/${service}`,
      digest: `sha256:${'4f'.repeat(32)}`,
    });
  }
  return out;
}

describe.each(OVERLAYS)('rendered overlay %s', (overlay) => {
  const dir = join(kubernetesDir, 'overlays', overlay);
  const objects = renderKustomization(dir);

  it('every object validates against its API schema (Kubernetes, KEDA, Secrets Store CSI), offline', async () => {
    const errors = (await Promise.all(objects.map(schemaErrors))).flat();
    expect(errors).toEqual([]);
    expect(objects.length).toBeGreaterThan(30);
  });

  it(`puts every namespaced object in ${NAMESPACE}, and the Namespace is ${NAMESPACE}`, () => {
    const missing = objects.filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== NAMESPACE);
    expect(missing.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([]);
    expect(objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name)).toEqual([NAMESPACE]);
  });

  it('carries no :latest image and pins every image by digest', () => {
    expect(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')).not.toMatch(/latest/);
    for (const workload of objects.filter((o) => ['Deployment', 'Job', 'CronJob'].includes(o.kind))) {
      for (const container of podSpecOf(workload).containers) {
        expect(container.image, workload.metadata.name).toMatch(/^[a-z0-9.-]+\/astria\/[a-z-]+@sha256:[0-9a-f]{64}$/);
      }
    }
  });

  it('as committed, is refused by check-render (placeholders stand where the deploy must put real values)', () => {
    const found = find(toYaml(objects));
    for (const reason of ['zero GUID', 'example domain', 'zero id']) {
      expect(
        found.some((line) => line.includes(reason)),
        reason,
      ).toBe(true);
    }
  });

  it('with the values a deploy substitutes (azure.env, app.env, image digests), passes check-render', () => {
    const rendered = toYaml(renderKustomization(dir, deployOverrides(overlay)));
    expect(find(rendered)).toEqual([]);
  });
});

describe('check-render.mjs (used by deploy.yml before applying)', () => {
  const good = toYaml(renderKustomization(join(kubernetesDir, 'overlays/production'), deployOverrides('production')));
  const work = mkdtempSync(join(tmpdir(), 'check-render-'));
  const run = (text: string) => {
    const path = join(work, 'rendered.yaml');
    writeFileSync(path, text);
    return spawnSync(process.execPath, [checkScript, path], { encoding: 'utf8' });
  };

  it('exits 0 on a good production render', () => {
    const result = run(good);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.each([
    ['a zero WhatsApp number id', 'WHATSAPP_NUMBER_ID: "106540352242922"', 'WHATSAPP_NUMBER_ID: "000000000000000"'],
    ['an example.com payment link', 'https://pay.sumit.co.il/abc/lite', 'https://pay.example.com/lite'],
    ['an example.com contact', 'support@astria-portraits.co.il', 'support@example.com'],
    ['a zero GUID', '1b4e28ba-2fa1-11d2-883f-0016d3cca400', '00000000-0000-0000-0000-000000000000'],
    ['a :latest image', `@sha256:${'4f'.repeat(32)}`, ':latest'],
  ])('exits 1 on a render with %s', (_what, from, to) => {
    expect(good).toContain(from);
    const result = run(good.replace(from, to));
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/placeholder/);
  });

  it('exits 1 on an empty render (kustomize failed)', () => {
    expect(run('').status).toBe(1);
  });
});

describe('offline schema validation', () => {
  it('rejects deliberately broken objects', async () => {
    const [deployment] = renderKustomization(join(kubernetesDir, 'overlays/staging')).filter(
      (o) => o.kind === 'Deployment',
    );
    const broken = structuredClone(deployment) as Manifest;
    broken.spec.replicas = 'three';
    expect((await schemaErrors(broken)).join()).toMatch(/replicas must be integer/);
    const spc = renderKustomization(join(kubernetesDir, 'overlays/staging')).find(
      (o) => o.kind === 'SecretProviderClass',
    ) as Manifest;
    expect(await schemaErrors({ ...spc, spec: { ...spc.spec, provider: 'vault' } })).not.toEqual([]);
    expect(await schemaErrors({ ...spc, spec: { ...spc.spec, secretObject: [] } })).not.toEqual([]);
    const scaled = renderKustomization(join(kubernetesDir, 'overlays/staging')).find(
      (o) => o.kind === 'ScaledObject',
    ) as Manifest;
    expect(await schemaErrors({ ...scaled, spec: { ...scaled.spec, scaleTargetRef: undefined } })).not.toEqual([]);
    expect(await schemaErrors({ ...scaled, apiVersion: 'keda.sh/v9' })).not.toEqual([]);
  });
});

// kubectl is not part of CI (Node and pnpm only); where it exists, the real kustomize agrees with check-render.
it.skipIf(spawnSync('kubectl', ['version', '--client']).status !== 0)(
  'kubectl kustomize of the committed production overlay is refused by check-render (skipped without kubectl)',
  () => {
    const rendered = execFileSync('kubectl', ['kustomize', join(kubernetesDir, 'overlays/production')], {
      encoding: 'utf8',
    });
    expect(find(rendered).length).toBeGreaterThan(10);
  },
);
