import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { kubernetesDir, type Manifest, repoRoot } from './manifests.js';
import { renderKustomization } from './render.js';

/**
 * Blue-green releases of message-service (components/blue-green, infra/kubernetes/blue-green.mjs,
 * docs/operations/blue-green.md), checked on the rendered overlays: two Deployments with disjoint pods,
 * one live Service selecting exactly one colour, a preview Service per colour for validating the idle one,
 * and a flip that changes nothing but that selector — so the flip back restores the render exactly.
 */
const script = join(kubernetesDir, 'blue-green.mjs');
const COLOURS = ['blue', 'green'] as const;
const scratch = mkdtempSync(join(tmpdir(), 'blue-green-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const byKey = (objects: Manifest[]) => new Map(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o]));
const selects = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);
const run = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });

/** A copy of infra/kubernetes to flip in (the committed overlays stay as they are). */
function copyOfKubernetes(name: string): string {
  const dir = join(scratch, name);
  cpSync(kubernetesDir, dir, { recursive: true });
  return dir;
}

describe.each(['staging', 'production'])('blue-green on overlay %s', (overlay) => {
  const objects = byKey(renderKustomization(join(kubernetesDir, 'overlays', overlay)));
  const get = (kind: string, name: string) => {
    const object = objects.get(`${kind}/${name}`);
    if (!object) throw new Error(`${kind}/${name} is not rendered`);
    return object;
  };
  const live = execFileSync(process.execPath, [script, 'status', join(kubernetesDir, 'overlays', overlay)], {
    encoding: 'utf8',
  }).match(/live=(\w+)/)?.[1];

  it('two Deployments, one per colour, whose pods only their own colour selects; no uncoloured one', () => {
    expect(objects.has('Deployment/message-service')).toBe(false);
    for (const colour of COLOURS) {
      const deployment = get('Deployment', `message-service-${colour}`);
      const own = deployment.spec.selector.matchLabels;
      expect(own['astria.dev/colour']).toBe(colour);
      expect(selects(own, deployment.spec.template.metadata.labels)).toBe(true);
      const other = get('Deployment', `message-service-${colour === 'blue' ? 'green' : 'blue'}`);
      expect(selects(own, other.spec.template.metadata.labels)).toBe(false);
      // Each colour runs its own pinned image (the overlay pins astria/message-service-<colour>).
      expect(deployment.spec.template.spec.containers[0].image).toMatch(/astria\/message-service@sha256:[0-9a-f]{64}$/);
      for (const constraint of deployment.spec.template.spec.topologySpreadConstraints)
        expect(constraint.labelSelector.matchLabels['astria.dev/colour']).toBe(colour);
    }
  });

  it('the live Service selects exactly the live colour; each preview Service its own colour', () => {
    expect(COLOURS).toContain(live);
    const pods = (colour: string) => get('Deployment', `message-service-${colour}`).spec.template.metadata.labels;
    const liveService = get('Service', 'message-service');
    expect(COLOURS.filter((c) => selects(liveService.spec.selector, pods(c)))).toEqual([live]);
    for (const colour of COLOURS) {
      const preview = get('Service', `message-service-${colour}`);
      expect(COLOURS.filter((c) => selects(preview.spec.selector, pods(c)))).toEqual([colour]);
      expect(preview.spec.ports).toEqual(liveService.spec.ports);
    }
    // The ingress sends the webhooks to the live Service only.
    const backends = JSON.stringify(get('Ingress', 'astria-webhooks').spec);
    expect(backends).toContain('"name":"message-service"');
    expect(backends).not.toMatch(/message-service-(blue|green)/);
  });

  it('each colour scales and is protected on its own: a ScaledObject and a PDB per colour', () => {
    expect(objects.has('ScaledObject/message-service')).toBe(false);
    expect(objects.has('PodDisruptionBudget/message-service')).toBe(false);
    for (const colour of COLOURS) {
      const scaled = get('ScaledObject', `message-service-${colour}`);
      expect(scaled.spec.scaleTargetRef.name).toBe(`message-service-${colour}`);
      expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
      const pdb = get('PodDisruptionBudget', `message-service-${colour}`);
      expect(pdb.spec.selector.matchLabels['astria.dev/colour']).toBe(colour);
    }
    // Both colours share everything else: one ServiceAccount, the same ConfigMaps and Secrets, and the
    // network policies that admit message-service pods admit both.
    const [blue, green] = COLOURS.map((c) => get('Deployment', `message-service-${c}`).spec.template.spec);
    expect(green.serviceAccountName).toBe(blue.serviceAccountName);
    expect(green.containers[0].envFrom).toEqual(blue.containers[0].envFrom);
    for (const policy of [...objects.values()].filter((o) => o.kind === 'NetworkPolicy')) {
      const selector = policy.spec.podSelector.matchLabels ?? {};
      const matched = COLOURS.map((c) =>
        selects(selector, get('Deployment', `message-service-${c}`).spec.template.metadata.labels),
      );
      expect(matched[0], policy.metadata.name).toBe(matched[1]);
    }
  });

  it('a flip changes only the live Service selector, and the flip back restores the render exactly', () => {
    const copy = copyOfKubernetes(`flip-${overlay}`);
    const dir = join(copy, 'overlays', overlay);
    const before = renderKustomization(dir);
    const idle = live === 'blue' ? 'green' : 'blue';
    const flipped = run('flip', dir);
    expect(flipped.status, flipped.stderr).toBe(0);
    expect(flipped.stdout.trim()).toBe(`live=${idle} idle=${live}`);
    const after = renderKustomization(dir);
    const changed = after.filter((o, i) => JSON.stringify(o) !== JSON.stringify(before[i]));
    expect(changed.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Service/message-service']);
    expect(changed[0]?.spec.selector['astria.dev/colour']).toBe(idle);
    const back = run('flip', dir);
    expect(back.stdout.trim()).toBe(`live=${live} idle=${idle}`);
    expect(renderKustomization(dir)).toEqual(before);
  });
});

describe('blue-green.mjs', () => {
  it('set-live sets a colour; refuses an unknown colour (2) and an overlay without a valid live-colour.yaml (1)', () => {
    const dir = join(copyOfKubernetes('cli'), 'overlays', 'production');
    expect(run('set-live', dir, 'green').stdout.trim()).toBe('live=green idle=blue');
    expect(readFileSync(join(dir, 'live-colour.yaml'), 'utf8')).toMatch(/astria\.dev\/colour: green\n/);
    expect(run('set-live', dir, 'green').stdout.trim()).toBe('live=green idle=blue'); // idempotent
    expect(run('set-live', dir, 'purple').status).toBe(2);
    expect(run('status').status).toBe(2);
    writeFileSync(join(dir, 'live-colour.yaml'), 'kind: Service\nmetadata:\n  name: message-service\n');
    const broken = run('flip', dir);
    expect(broken.status).toBe(1);
    expect(broken.stderr).toContain('no Service message-service selecting astria.dev/colour');
  });
});

describe('the deploy action releases message-service blue-green', () => {
  // biome-ignore lint/suspicious/noExplicitAny: free-form YAML
  const action = parseYaml(readFileSync(join(repoRoot, '.github/actions/deploy-overlay/action.yml'), 'utf8')) as any;
  const steps = action.runs.steps as { name?: string; run?: string }[];
  const index = (pattern: RegExp) => steps.findIndex((s) => pattern.test(s.name ?? ''));

  it('validates the idle colour through its preview Service before the flip, then records the render', () => {
    const validate = index(/^Validate the deployment, message-service on the idle colour/);
    const flip = index(/^Flip the live colour/);
    const record = index(/^Record this render/);
    expect(validate).toBeGreaterThan(index(/^Apply/));
    expect(flip).toBeGreaterThan(validate);
    expect(record).toBeGreaterThan(flip);
    const idle = ['$', '{{ steps.render.outputs.idle }}'].join(''); // the Actions expression, not a JS template
    expect(steps[validate]?.run).toContain(`m=message-service-${idle}`);
    expect(steps[flip]?.run).toContain(`blue-green.mjs set-live "$OVERLAY" "${idle}"`);
    // The render keeps the cluster's live colour and image, and sends the release to the idle colour.
    const render = steps[index(/^Render the overlay/)]?.run ?? '';
    expect(render).toContain('blue-green.mjs set-live "$OVERLAY" "$live"');
    expect(render).toContain('astria/message-service-$idle=$ref');
  });
});
