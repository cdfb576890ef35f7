#!/usr/bin/env node
// Refuses a rendered overlay (`kubectl kustomize overlays/<env>`) that still carries a placeholder: the
// zero WhatsApp number id, a zero GUID (client/tenant ids), an example.com/example.org link or contact,
// an image that is not pinned by a (non-zero) digest, or a `:latest` tag. deploy.yml runs it on the
// render it is about to apply; CI runs it (through infra/test) on the production overlay rendered with
// the values a deploy substitutes, and on deliberately broken renders.
//   node infra/kubernetes/check-render.mjs rendered.yaml   (or the render on stdin)
// Exit 0: clean. Exit 1: every offending line listed.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** @type {{ reason: string, test: (line: string) => boolean }[]} */
export const PLACEHOLDER_RULES = [
  { reason: 'zero id (000000000000000)', test: (line) => /0{15}/.test(line) },
  {
    reason: 'zero GUID',
    test: (line) => /\b00000000-0000-0000-0000-000000000000\b/.test(line),
  },
  {
    reason: 'example domain (link, host or contact)',
    test: (line) => /(^|[@/.\s"'=:])example\.(com|org|net)\b/i.test(line),
  },
  { reason: ':latest image tag', test: (line) => /^\s*-?\s*image:\s*\S+:latest\s*$/.test(line) },
  {
    reason: 'image not pinned by digest',
    test: (line) => /^\s*-?\s*image:\s*\S+/.test(line) && !/@sha256:[0-9a-f]{64}\b/.test(line),
  },
];

/** Every placeholder of a rendered manifest stream, as "line N: reason: text". */
export function findPlaceholders(rendered) {
  const found = [];
  for (const [index, line] of rendered.split('\n').entries()) {
    for (const rule of PLACEHOLDER_RULES) {
      if (rule.test(line)) found.push(`line ${index + 1}: ${rule.reason}: ${line.trim().slice(0, 160)}`);
    }
  }
  return found;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const path = process.argv[2];
  const rendered = readFileSync(path && path !== '-' ? path : 0, 'utf8');
  if (!/^kind:/m.test(rendered)) {
    console.error('check-render: the input holds no Kubernetes object (empty or failed render)');
    process.exit(1);
  }
  const found = findPlaceholders(rendered);
  if (found.length > 0) {
    console.error(`check-render: ${found.length} placeholder(s) left in the render:`);
    for (const line of found) console.error(`  ${line}`);
    process.exit(1);
  }
  console.log(`check-render: ${(rendered.match(/^kind:/gm) ?? []).length} objects, no placeholder`);
}
