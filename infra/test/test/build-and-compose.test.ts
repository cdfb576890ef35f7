import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateAction, validateWorkflow } from '@action-validator/core';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  imageServiceConfigSchema,
  maintenanceServiceConfigSchema,
  messageServiceConfigSchema,
  paymentServiceConfigSchema,
} from '../../../packages/config/src/index.js';
import { repoRoot } from './manifests.js';

const SERVICES = {
  'message-service': { port: 7071, schema: messageServiceConfigSchema },
  'image-service': { port: 7072, schema: imageServiceConfigSchema },
  'payment-service': { port: 7073, schema: paymentServiceConfigSchema },
  'maintenance-service': { port: 7074, schema: maintenanceServiceConfigSchema },
} as const;

const DOLLAR = '$';
const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');
const rootPackage = JSON.parse(read('package.json')) as {
  packageManager: string;
  devDependencies: Record<string, string>;
};
const pnpmVersion = rootPackage.packageManager.split('@')[1];

/** docker compose's ${VAR:-default} with nothing exported: the default. */
const interpolateDefaults = (value: string) => value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');

function readEnvFile(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of read(path).split('\n')) {
    const match = line.match(/^([A-Z][A-Z0-9_]*)=(.*)$/);
    if (match?.[1]) out[match[1]] = match[2] ?? '';
  }
  return out;
}

describe('docker-compose', () => {
  // biome-ignore lint/suspicious/noExplicitAny: compose file, checked field by field
  const compose = parseYaml(read('infra/compose/docker-compose.yml'), { merge: true }) as any;

  it.each(Object.entries(SERVICES))(
    '%s gets a configuration its schema accepts, on its port',
    (name, { port, schema }) => {
      const service = compose.services[name];
      expect(service.build.args.SERVICE).toBe(name);
      expect(service.build.dockerfile).toBe('infra/docker/Dockerfile');
      const env: Record<string, string> = {};
      for (const file of service.env_file as string[]) Object.assign(env, readEnvFile(`infra/compose/${file}`));
      for (const [key, value] of Object.entries(service.environment as Record<string, string>)) {
        env[key] = interpolateDefaults(String(value));
      }
      expect(env.PORT).toBe(String(port));
      expect(env.EVENT_TRANSPORT).toBe('servicebus');
      expect(env.SERVICEBUS_CONNECTION_STRING).toContain('UseDevelopmentEmulator=true');
      const result = schema.safeParse(env);
      expect(result.success ? [] : result.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`)).toEqual([]);
      expect(interpolateDefaults(service.ports[0])).toBe(`${port}:${port}`);
      expect(service.depends_on.migrate.condition).toBe('service_completed_successfully');
    },
  );

  it('migrates once with the @astria/db CLI after PostgreSQL is healthy', () => {
    expect(compose.services.migrate.command).toEqual(['node', 'node_modules/@astria/db/dist/cli.js']);
    expect(compose.services.migrate.depends_on.postgres.condition).toBe('service_healthy');
    expect(compose.services.postgres.image).toMatch(/^postgres:16/);
  });

  it('mounts the generated emulator Config.json and gives the emulator its SQL engine', () => {
    const emulator = compose.services['servicebus-emulator'];
    expect(emulator.image).toMatch(/^mcr\.microsoft\.com\/azure-messaging\/servicebus-emulator/);
    expect(emulator.volumes).toContain(
      './servicebus-emulator/Config.json:/ServiceBus_Emulator/ConfigFiles/Config.json:ro',
    );
    expect(compose.services[emulator.environment.SQL_SERVER]).toBeDefined();
    const config = JSON.parse(read('infra/compose/servicebus-emulator/Config.json'));
    expect(config.UserConfig.Namespaces[0].Topics.length).toBeGreaterThan(0);
    expect(compose.services.azurite.image).toMatch(/azurite/);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('infra/docker/Dockerfile');

  it('installs the pnpm and turbo versions the workspace pins', () => {
    expect(dockerfile).toContain(`pnpm@${pnpmVersion}`);
    expect(dockerfile).toContain(`turbo@${rootPackage.devDependencies.turbo}`);
  });

  it('prunes, installs frozen, builds, deploys --prod --legacy and runs non-root on Node 22 slim', () => {
    for (const step of [
      'ARG NODE_IMAGE=node:22-bookworm-slim',
      // The Dockerfile's own ${SERVICE} build argument, spelled literally.
      `turbo prune "@astria/${DOLLAR}{SERVICE}" --docker`,
      'pnpm install --frozen-lockfile',
      `pnpm turbo run build --filter="@astria/${DOLLAR}{SERVICE}..."`,
      `pnpm --filter "@astria/${DOLLAR}{SERVICE}" deploy --prod --legacy /out`,
      'test -d /out/node_modules/@astria/db/migrations',
      'USER node',
      'ENV NODE_ENV=production',
      'ENTRYPOINT ["/usr/bin/tini", "--"]',
      'CMD ["node", "dist/main.js"]',
      'HEALTHCHECK',
    ]) {
      expect(dockerfile, step).toContain(step);
    }
    expect(dockerfile).toMatch(/"\$\{SERVICE\}" = "image-service" \] && echo ffmpeg/);
  });

  it('the healthcheck knows every service default port', () => {
    const healthcheck = read('infra/docker/healthcheck.mjs');
    for (const [name, { port }] of Object.entries(SERVICES)) expect(healthcheck).toContain(`'${name}': ${port}`);
  });
});

describe('GitHub workflows', () => {
  // biome-ignore lint/suspicious/noExplicitAny: workflow files, checked field by field
  const ci = parseYaml(read('.github/workflows/ci.yml')) as any;
  // biome-ignore lint/suspicious/noExplicitAny: workflow files, checked field by field
  const deploy = parseYaml(read('.github/workflows/deploy.yml')) as any;

  it('CI runs the .ci/run commands on Node 22 and 24 against PostgreSQL, installing nothing beside pnpm', () => {
    const job = ci.jobs.test;
    expect(job.strategy.matrix.node).toEqual(['22', '24']);
    expect(job.services.postgres.image).toMatch(/^postgres:16/);
    expect(job.env.DATABASE_URL).toMatch(/^postgres:\/\//);
    const script = (job.steps as { run?: string }[]).map((s) => s.run ?? '').join('\n');
    expect(script).not.toContain('apt-get');
    expect(script).toContain("packageManager.split('@')[1]");
    expect(script).toContain('pnpm install --frozen-lockfile');
    expect(script).toContain('pnpm test');
    expect(ci.jobs.images.strategy.matrix.service.sort()).toEqual(Object.keys(SERVICES).sort());
  });

  // biome-ignore lint/suspicious/noExplicitAny: action file, checked field by field
  const action = parseYaml(read('.github/actions/deploy-overlay/action.yml')) as any;
  type Step = { id?: string; name?: string; run?: string; if?: string; uses?: string; with?: Record<string, string> };
  const actionSteps = action.runs.steps as Step[];
  const actionScript = actionSteps.map((s) => s.run ?? '').join('\n');

  it('deploy runs only on a commit whose CI passed, and checks out exactly that commit', () => {
    expect(deploy.on.workflow_run).toEqual({ workflows: [ci.name], types: ['completed'], branches: ['main'] });
    expect(deploy.on.push).toBeUndefined();
    expect(deploy.jobs.gate.if).toContain("github.event.workflow_run.conclusion == 'success'");
    expect(deploy.env.SHA).toBe(`${DOLLAR}{{ github.event.workflow_run.head_sha || inputs.sha }}`);
    expect(deploy.jobs.gate.steps[0].run).toContain('status=success');
    for (const name of ['build', 'staging', 'production']) {
      const job = deploy.jobs[name];
      const checkout = (job.steps as Step[]).find((s) => s.uses?.startsWith('actions/checkout'));
      expect(checkout?.with?.ref, name).toBe(`${DOLLAR}{{ env.SHA }}`);
    }
    expect(deploy.jobs.build.needs).toBe('gate');
  });

  it('builds every service image once, tagged with the commit SHA, and production imports the digests', () => {
    expect(deploy.env.SERVICES.split(' ').sort()).toEqual(Object.keys(SERVICES).sort());
    const builds = (deploy.jobs.build.steps as Step[]).filter((s) => s.uses?.startsWith('docker/build-push-action'));
    expect(builds.map((s) => s.with?.['build-args']?.replace('SERVICE=', '')).sort()).toEqual(
      Object.keys(SERVICES).sort(),
    );
    for (const step of builds) expect(step.with?.tags).toMatch(/:\$\{\{ env\.SHA \}\}$/);
    for (const name of ['staging', 'production']) {
      const steps = deploy.jobs[name].steps as Step[];
      expect(
        steps.some((s) => s.uses?.startsWith('docker/')),
        `${name} never builds`,
      ).toBe(false);
      const images = steps.find((s) => s.uses === './.github/actions/deploy-overlay')?.with?.images ?? '';
      for (const service of Object.keys(SERVICES)) {
        expect(images).toContain(
          `${service}=${DOLLAR}{{ vars.ACR_LOGIN_SERVER }}/astria/${service}@${DOLLAR}{{ needs.build.outputs.${service} }}`,
        );
      }
    }
    const promote = (deploy.jobs.production.steps as Step[]).map((s) => s.run ?? '').join('\n');
    expect(promote).toContain('az acr import');
    expect(promote).toContain('@$digest');
    expect(deploy.jobs.production.needs).toEqual(['build', 'staging']);
    expect(deploy.jobs.production.environment).toBe('production');
  });

  it('the deploy refuses placeholders, migrates first, applies with an applyset that prunes, and rolls everything back', () => {
    const index = (text: string) => actionSteps.findIndex((s) => s.run?.includes(text));
    const check = index('node infra/kubernetes/check-render.mjs');
    const previous = index('astria-deploy-state -n');
    const migrate = index('astria.dev/stage=pre-deploy');
    const apply = index('--applyset=astria-bot --prune');
    const record = index('kubectl create configmap astria-deploy-state');
    expect(check).toBeGreaterThan(0);
    expect(previous).toBeGreaterThan(check);
    expect(migrate).toBeGreaterThan(previous);
    expect(apply).toBeGreaterThan(migrate);
    expect(record).toBeGreaterThan(apply);
    expect(actionSteps[apply]?.id).toBe('apply');
    const rollback = actionSteps.find((s) => s.if?.includes('failure()')) as Step;
    expect(rollback.if).toContain("steps.apply.outputs.started == 'true'");
    expect(rollback.run).toContain('previous.yaml');
    expect(rollback.run).toContain('--applyset=astria-bot --prune');
    expect(rollback.run).toContain('select(.kind != "Job")');
    expect(actionScript).not.toContain('rollout undo');
    expect(actionScript).toContain('kustomize edit set image');
    expect(actionScript).toContain('*@sha256:*');
  });

  it('validates after the rollout (a failure rolls back) with the verify token secret and the Kubernetes API', () => {
    const index = (text: string) => actionSteps.findIndex((s) => s.run?.includes(text));
    const apply = index('--applyset=astria-bot --prune');
    const validate = index('pnpm validate');
    const record = index('kubectl create configmap astria-deploy-state');
    expect(validate).toBeGreaterThan(apply);
    expect(record).toBeGreaterThan(validate);
    const step = actionSteps[validate] as Step & { env?: Record<string, string> };
    expect(step.if).toBeUndefined();
    expect(step.run).toContain('set -euo pipefail');
    expect(step.run).toMatch(/--kube-api http:\/\/127\.0\.0\.1:18090 --namespace "\$NAMESPACE"/);
    expect(step.run).toContain('kubectl proxy --port=18090');
    expect(step.run).toContain('--services "$services"');
    expect(step.env?.WHATSAPP_VERIFY_TOKEN).toBe(`${DOLLAR}{{ inputs.verify-token }}`);
    for (const name of ['staging', 'production']) {
      const deployStep = (deploy.jobs[name].steps as Step[]).find((s) => s.uses === './.github/actions/deploy-overlay');
      expect(deployStep?.with?.['verify-token'], name).toBe(`${DOLLAR}{{ secrets.WHATSAPP_VERIFY_TOKEN }}`);
    }
  });
});

describe('workflow and action files validate against the GitHub schemas (action-validator, offline)', () => {
  const files = ['ci.yml', 'deploy.yml', 'servicebus-emulator.yml'];

  it.each(files)('.github/workflows/%s', (file) => {
    expect(validateWorkflow(read(`.github/workflows/${file}`)).errors).toEqual([]);
  });

  it('.github/actions/deploy-overlay/action.yml', () => {
    expect(validateAction(read('.github/actions/deploy-overlay/action.yml')).errors).toEqual([]);
  });

  it('rejects deliberately broken ones', () => {
    const broken = read('.github/workflows/deploy.yml').replace('runs-on: ubuntu-24.04', 'runs_on: ubuntu-24.04');
    expect(validateWorkflow(broken).errors.length).toBeGreaterThan(0);
    const brokenTrigger = read('.github/workflows/ci.yml').replace('pull_request:', 'pull_requests:');
    expect(validateWorkflow(brokenTrigger).errors.length).toBeGreaterThan(0);
    const brokenAction = read('.github/actions/deploy-overlay/action.yml').replace(
      'using: composite',
      'using: compost',
    );
    expect(validateAction(brokenAction).errors.length).toBeGreaterThan(0);
  });
});
