import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../src/index.js';

/**
 * The benches never run in `pnpm test` (minutes of load on real PostgreSQL); this checks that each
 * `pnpm bench:*` reaches a bench file that the package's typecheck covers, so a bench that no longer
 * compiles fails `pnpm test` (typecheck) rather than the next person who runs it.
 */
const json = (path: string) => JSON.parse(readFileSync(join(REPO, path), 'utf8'));
const rootScripts = Object.entries(json('package.json').scripts as Record<string, string>).filter(([name]) =>
  name.startsWith('bench:'),
);
const packageDirs = ['apps', 'packages'].flatMap((dir) => readdirSync(join(REPO, dir)).map((name) => `${dir}/${name}`));
const packageDirOf = (name: string) =>
  packageDirs.find((dir) => existsSync(join(REPO, dir, 'package.json')) && json(`${dir}/package.json`).name === name);

describe.each(rootScripts)('pnpm %s', (script, command) => {
  const target = /pnpm --filter (\S+) (bench:\S+)/.exec(command);

  it('builds the package, then runs its own bench script', () => {
    expect(command).toMatch(/^turbo run build --filter=\S+\.\.\./);
    expect(target?.[2]).toBe(script);
  });

  it('runs a bench file the package typecheck covers, compiled apart from the production build', () => {
    const dir = packageDirOf(target?.[1] ?? '');
    expect(dir).toBeDefined();
    const own = json(`${dir}/package.json`).scripts[script] as string;
    const [, entry] = /node dist-bench\/(\S+)\.js/.exec(own) ?? [];
    expect(own).toMatch(/^tsc -p tsconfig\.bench\.json && node dist-bench\//);
    const rootDir = readFileSync(join(REPO, `${dir}/tsconfig.bench.json`), 'utf8').includes('"rootDir": "bench"')
      ? 'bench/'
      : '';
    expect(existsSync(join(REPO, `${dir}/${rootDir}${entry}.ts`))).toBe(true);
    expect(readFileSync(join(REPO, `${dir}/tsconfig.json`), 'utf8')).toMatch(/"include": \[[^\]]*"bench"/);
    expect(readFileSync(join(REPO, `${dir}/tsconfig.build.json`), 'utf8')).not.toMatch(/"bench"/);
  });
});

describe('pgbench ceilings', () => {
  const files = readdirSync(join(REPO, 'bench/pgbench')).filter((f) => f.endsWith('.sql'));

  it.each(files)('%s is one transaction per pgbench run', (file) => {
    const text = readFileSync(join(REPO, 'bench/pgbench', file), 'utf8');
    expect(text.match(/^BEGIN;$/gm)).toHaveLength(1);
    expect(text.match(/^COMMIT;$/gm)).toHaveLength(1);
  });
});
