import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { REPO } from './service.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  /** `function file:line` (the repository's files relative to it, node_modules shortened). */
  name: string;
  ms: number;
  /** Share of the busy (non-idle) samples, percent. */
  percent: number;
}

function where(url: string, line: number): string {
  if (!url) return '';
  if (!url.startsWith('file://') && !url.startsWith('/')) return ` ${url}:${line + 1}`; // node:internal/…
  const path = url.startsWith('file://') ? url.slice('file://'.length) : url;
  const inModules = path.lastIndexOf('node_modules/');
  const short = inModules >= 0 ? path.slice(inModules + 'node_modules/'.length) : relative(REPO, path);
  return ` ${short}:${line + 1}`;
}

/** The `top` functions by self time of a V8 `.cpuprofile` (what `node --cpu-prof` writes), idle excluded. */
export function topSelfTime(file: string, top = 10): SelfTime[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<string, number>();
  let busyUs = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const delta = profile.timeDeltas[i] ?? 0;
    if (!node || node.callFrame.functionName === '(idle)') return;
    const name = `${node.callFrame.functionName || '(anonymous)'}${where(node.callFrame.url, node.callFrame.lineNumber)}`;
    selfUs.set(name, (selfUs.get(name) ?? 0) + delta);
    busyUs += delta;
  });
  return [...selfUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, ms: Math.round(us / 1000), percent: Math.round((us / busyUs) * 1000) / 10 }));
}

/** Printable lines of `topSelfTime`. */
export function formatSelfTime(rows: SelfTime[]): string[] {
  return rows.map(
    (row, i) =>
      `${String(i + 1).padStart(2)}. ${String(row.ms).padStart(6)} ms ${String(row.percent).padStart(5)} %  ${row.name}`,
  );
}
