import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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

  it('deploy builds every service image, migrates before applying, and gates production', () => {
    expect(deploy.permissions['id-token']).toBe('write');
    expect(deploy.env.SERVICES.split(' ').sort()).toEqual(Object.keys(SERVICES).sort());
    const steps = deploy.jobs.deploy.steps as { name?: string; run?: string; with?: Record<string, string> }[];
    const built = steps
      .filter((s) => s.with?.['build-args'])
      .map((s) => s.with?.['build-args']?.replace('SERVICE=', ''));
    expect(built.sort()).toEqual(Object.keys(SERVICES).sort());
    const migrate = steps.findIndex((s) => s.run?.includes('astria.dev/stage=pre-deploy'));
    const apply = steps.findIndex((s) => s.run?.includes('kubectl rollout status'));
    expect(migrate).toBeGreaterThan(0);
    expect(apply).toBeGreaterThan(migrate);
    expect(deploy.jobs.deploy.environment).toBe(`${DOLLAR}{{ matrix.environment }}`);
    expect(deploy.jobs.deploy.strategy['max-parallel']).toBe(1);
  });
});
