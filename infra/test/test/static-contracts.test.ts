import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './manifests.js';

interface PackageJson {
  name: string;
  dependencies?: Record<string, string>;
}

/** Every workspace package (apps/*, packages/*), by name, with its folder. */
function workspacePackages(): Map<string, { dir: string; manifest: PackageJson }> {
  const out = new Map<string, { dir: string; manifest: PackageJson }>();
  for (const group of ['apps', 'packages']) {
    for (const entry of readdirSync(join(repoRoot, group), { withFileTypes: true })) {
      const dir = join(repoRoot, group, entry.name);
      if (!entry.isDirectory() || !existsSync(join(dir, 'package.json'))) continue;
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
      out.set(manifest.name, { dir, manifest });
    }
  }
  return out;
}

function* sourceFiles(dir: string): Generator<string> {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (/\.(ts|mts|js|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) yield path;
  }
}

/**
 * The dynamic imports in a source text that hide a contract: a specifier that is not a string literal
 * (the type checker cannot follow it) or a workspace package (`@astria/…`, which a static import states).
 * A literal relative module of the same package, or an optional third-party one, is fine.
 */
export function hiddenContracts(text: string): string[] {
  const found: string[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    for (const match of line.matchAll(/\bimport\(\s*([^)]*)\)/g)) {
      const specifier = (match[1] ?? '').trim();
      const literal = /^(['"`])([^'"`$]*)\1$/.exec(specifier);
      if (!literal || literal[2]?.startsWith('@astria/')) found.push(`${index + 1}: ${line.trim()}`);
    }
  }
  return found;
}

/** The third-party packages a workspace package ships with: its dependencies and its workspace dependencies', transitively. */
function productionClosure(name: string, packages: ReturnType<typeof workspacePackages>, seen = new Set<string>()) {
  const external = new Set<string>();
  if (seen.has(name)) return external;
  seen.add(name);
  for (const [dependency, range] of Object.entries(packages.get(name)?.manifest.dependencies ?? {})) {
    if (range.startsWith('workspace:')) {
      external.add(dependency);
      for (const d of productionClosure(dependency, packages, seen)) external.add(d);
    } else external.add(dependency);
  }
  return external;
}

describe('static contracts between workspace packages', () => {
  const packages = workspacePackages();

  it('no source file imports a workspace package dynamically, or a module through a computed specifier', () => {
    const offenders: string[] = [];
    for (const { dir } of packages.values()) {
      for (const file of sourceFiles(join(dir, 'src'))) {
        for (const hit of hiddenContracts(readFileSync(file, 'utf8')))
          offenders.push(`${relative(repoRoot, file)}:${hit}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the check tells a hidden contract from a literal optional import', () => {
    expect(hiddenContracts("const m = await import('@astria/image-service/maintenance');")).toHaveLength(1);
    expect(hiddenContracts('const m = await import(specifier);')).toHaveLength(1);
    expect(hiddenContracts(`const m = await import(\`./\${name}.js\`);`)).toHaveLength(1);
    expect(hiddenContracts("const { useAzureMonitor } = await import('@azure/monitor-opentelemetry');")).toEqual([]);
    expect(hiddenContracts("await import('./main.js');")).toEqual([]);
  });

  it('no service ships test support: neither rhea nor @astria/events-testing is a production dependency', () => {
    const services = [...packages.keys()].filter((name) => packages.get(name)?.dir.startsWith(join(repoRoot, 'apps')));
    expect(services.length).toBeGreaterThanOrEqual(5);
    for (const service of services) {
      const shipped = productionClosure(service, packages);
      expect(
        [...shipped].filter((d) => d === 'rhea' || d === '@astria/events-testing'),
        service,
      ).toEqual([]);
    }
  });
});
