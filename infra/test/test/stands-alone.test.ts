import { readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './manifests.js';

/** Folders that hold generated or installed files, never the repo's own text. */
const SKIPPED_DIRS = new Set([
  'node_modules',
  'dist',
  '.git',
  '.turbo',
  '.data',
  'coverage',
  'test-artifacts',
  '.terraform',
]);
/** Binary files by extension: nothing to read. */
const BINARY = /\.(png|jpe?g|gif|webp|mp4|ico|woff2?|br|gz|zip|pdf)$/i;

function* trackedTextFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) yield* trackedTextFiles(join(dir, entry.name));
    } else if (entry.isFile() && !BINARY.test(entry.name) && !entry.name.endsWith('.tsbuildinfo')) {
      const path = join(dir, entry.name);
      if (statSync(path).size < 2_000_000) yield path;
    }
  }
}

/** The places a file refers to outside the repo: the folder the clone sits in, the shared spec, home folders. */
export function outsideReferences(text: string, parentDir: string): string[] {
  // Built from pieces so this file does not match itself.
  const patterns: RegExp[] = [
    new RegExp(['\\.\\.', 'shared'].join('/')),
    new RegExp(['shared', '(spec|fixtures)'].join('/')),
    /(^|[\s'"`(=:])\/(root|home)\/[\w.-]/,
  ];
  // A clone in the temporary folder (or at the root) has a parent every script may use on its own
  // account (`/tmp/run.log`): there the fixed patterns above do the work.
  if (parentDir !== '/' && parentDir !== tmpdir())
    patterns.push(new RegExp(`${parentDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/`));
  const found: string[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (patterns.some((pattern) => pattern.test(line))) found.push(`${index + 1}: ${line.trim().slice(0, 160)}`);
  }
  return found;
}

describe('the repo stands alone', () => {
  it('no file refers to a path outside the repo (the clone’s parent folder, the shared folder beside it, home folders)', () => {
    const parentDir = dirname(repoRoot);
    const offenders: string[] = [];
    for (const file of trackedTextFiles(repoRoot)) {
      for (const hit of outsideReferences(readFileSync(file, 'utf8'), parentDir)) {
        offenders.push(`${relative(repoRoot, file)}:${hit}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the check catches each kind of outside reference', () => {
    const parent = '/srv/checkouts';
    expect(outsideReferences(`readFileSync('${parent}/x/fixtures.json')`, parent)).toHaveLength(1);
    expect(outsideReferences(`see ${['..', 'shared', 'spec'].join('/')}/product.md`, parent)).toHaveLength(1);
    expect(outsideReferences(`const dir = '/${'home'}/alex/fixtures';`, parent)).toHaveLength(1);
    expect(outsideReferences("new URL('./fixtures/whatsapp/', import.meta.url)", parent)).toEqual([]);
    // Cloned into the temporary folder: a script's own scratch file there is not a reference to a neighbour.
    expect(outsideReferences('cat /tmp/run.log', tmpdir())).toEqual([]);
  });
});
