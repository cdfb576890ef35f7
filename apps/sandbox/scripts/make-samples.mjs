#!/usr/bin/env node
// Regenerates the bundled sample selfies (apps/sandbox/assets): simple face-like JPEGs, small enough to commit.
// Run once with `node apps/sandbox/scripts/make-samples.mjs` (needs sharp, installed for @astria/simulators).
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../../packages/simulators/package.json', import.meta.url));
const sharp = require('sharp');
const out = new URL('../assets/', import.meta.url).pathname;

function face({ cx, cy, r, skin, hair, sunglasses = false, hat = false, smile = true }) {
  const eyeY = cy - r * 0.15;
  const eyes = sunglasses
    ? `<rect x="${cx - r * 0.62}" y="${eyeY - r * 0.16}" width="${r * 0.5}" height="${r * 0.3}" rx="${r * 0.08}" fill="#111"/>` +
      `<rect x="${cx + r * 0.12}" y="${eyeY - r * 0.16}" width="${r * 0.5}" height="${r * 0.3}" rx="${r * 0.08}" fill="#111"/>` +
      `<rect x="${cx - r * 0.12}" y="${eyeY - r * 0.04}" width="${r * 0.24}" height="${r * 0.06}" fill="#111"/>`
    : `<ellipse cx="${cx - r * 0.36}" cy="${eyeY}" rx="${r * 0.12}" ry="${r * 0.08}" fill="#fff"/>` +
      `<ellipse cx="${cx + r * 0.36}" cy="${eyeY}" rx="${r * 0.12}" ry="${r * 0.08}" fill="#fff"/>` +
      `<circle cx="${cx - r * 0.36}" cy="${eyeY}" r="${r * 0.06}" fill="#3b2a1a"/>` +
      `<circle cx="${cx + r * 0.36}" cy="${eyeY}" r="${r * 0.06}" fill="#3b2a1a"/>`;
  const mouth = smile
    ? `<path d="M ${cx - r * 0.35} ${cy + r * 0.35} Q ${cx} ${cy + r * 0.6} ${cx + r * 0.35} ${cy + r * 0.35}" stroke="#8a3b3b" stroke-width="${r * 0.07}" fill="none" stroke-linecap="round"/>`
    : `<line x1="${cx - r * 0.3}" y1="${cy + r * 0.42}" x2="${cx + r * 0.3}" y2="${cy + r * 0.42}" stroke="#8a3b3b" stroke-width="${r * 0.07}" stroke-linecap="round"/>`;
  const headwear = hat
    ? `<rect x="${cx - r * 1.1}" y="${cy - r * 0.95}" width="${r * 2.2}" height="${r * 0.18}" fill="#2d4a7a"/><rect x="${cx - r * 0.7}" y="${cy - r * 1.6}" width="${r * 1.4}" height="${r * 0.7}" fill="#2d4a7a"/>`
    : `<ellipse cx="${cx}" cy="${cy - r * 0.55}" rx="${r * 1.05}" ry="${r * 0.6}" fill="${hair}"/>`;
  return (
    `<ellipse cx="${cx}" cy="${cy + r * 2.1}" rx="${r * 1.7}" ry="${r * 1.2}" fill="#4a6a8a"/>` +
    `<rect x="${cx - r * 0.3}" y="${cy + r * 0.8}" width="${r * 0.6}" height="${r * 0.6}" fill="${skin}"/>` +
    `<ellipse cx="${cx}" cy="${cy}" rx="${r}" ry="${r * 1.18}" fill="${skin}"/>` +
    headwear +
    eyes +
    `<path d="M ${cx} ${cy} L ${cx - r * 0.1} ${cy + r * 0.2} L ${cx + r * 0.05} ${cy + r * 0.22}" stroke="#b07a5a" stroke-width="${r * 0.04}" fill="none"/>` +
    mouth
  );
}

async function jpeg(name, width, height, background, shapes) {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="${background}"/>${shapes}</svg>`;
  const bytes = await sharp(Buffer.from(svg)).jpeg({ quality: 78, mozjpeg: true }).toBuffer();
  writeFileSync(`${out}${name}`, bytes);
  console.log(name, bytes.length, 'bytes');
}

mkdirSync(`${out}samples`, { recursive: true });
mkdirSync(`${out}examples`, { recursive: true });
const W = 480;
const H = 640;
const one = (o) => face({ cx: W / 2, cy: H * 0.42, r: 120, ...o });
await jpeg('samples/selfie-1.jpg', W, H, '#dfe9f3', one({ skin: '#f1c9a5', hair: '#3b2414' }));
await jpeg('samples/selfie-2.jpg', W, H, '#f3e6d8', one({ skin: '#e8b892', hair: '#5a3520', smile: false }));
await jpeg('samples/selfie-3.jpg', W, H, '#d9efe3', one({ skin: '#f1c9a5', hair: '#3b2414', r: 132 }));
await jpeg('samples/selfie-4.jpg', W, H, '#e8e0f5', one({ skin: '#eec3a0', hair: '#2a1a10' }));
await jpeg('samples/selfie-5.jpg', W, H, '#f5f0d8', one({ skin: '#f1c9a5', hair: '#3b2414', smile: false }));
await jpeg('samples/sunglasses.jpg', W, H, '#fde8c8', one({ skin: '#f1c9a5', hair: '#3b2414', sunglasses: true }));
await jpeg(
  'samples/group.jpg',
  W,
  H,
  '#e0eef0',
  face({ cx: 120, cy: 260, r: 70, skin: '#f1c9a5', hair: '#3b2414' }) +
    face({ cx: 360, cy: 260, r: 70, skin: '#c98f65', hair: '#111' }) +
    face({ cx: 240, cy: 420, r: 70, skin: '#e8b892', hair: '#7a4a20' }),
);
await jpeg('samples/hat.jpg', W, H, '#e6f0e0', one({ skin: '#f1c9a5', hair: '#3b2414', hat: true }));
await jpeg('examples/example-1.jpg', W, H, '#cfe3f7', one({ skin: '#f1c9a5', hair: '#3b2414' }));
await jpeg('examples/example-2.jpg', W, H, '#f7e3cf', one({ skin: '#e8b892', hair: '#5a3520' }));
