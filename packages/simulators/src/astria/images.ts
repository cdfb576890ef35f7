import { createHash } from 'node:crypto';
import sharp from 'sharp';

/** A deterministic colour from a seed string, bright enough never to count as "near-black". */
function colourOf(seed: string): { r: number; g: number; b: number } {
  const h = createHash('sha256').update(seed).digest();
  return { r: 80 + ((h[0] ?? 0) % 150), g: 80 + ((h[1] ?? 0) % 150), b: 80 + ((h[2] ?? 0) % 150) };
}

/**
 * A placeholder portrait as a real JPEG: a coloured background with a head-and-shoulders silhouette,
 * so previews and pages show a picture. Same seed, same bytes.
 */
export async function placeholderPortrait(seed: string, width = 512, height = 768): Promise<Buffer> {
  const bg = colourOf(seed);
  const fg = colourOf(`${seed}:fg`);
  const fill = `rgb(${255 - fg.r},${255 - fg.g},${255 - fg.b})`;
  const svg = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      `<circle cx="${width / 2}" cy="${height * 0.38}" r="${width * 0.2}" fill="${fill}"/>` +
      `<ellipse cx="${width / 2}" cy="${height * 0.95}" rx="${width * 0.42}" ry="${height * 0.3}" fill="${fill}"/>` +
      '</svg>',
  );
  return sharp({ create: { width, height, channels: 3, background: bg } })
    .composite([{ input: svg }])
    .jpeg({ quality: 80 })
    .toBuffer();
}

/** An all-black JPEG (a preview build must skip it). */
export function blackImage(width = 512, height = 768): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 0, g: 0, b: 0 } } })
    .jpeg()
    .toBuffer();
}

/** Bytes that claim to be a JPEG but are not decodable. */
export const BROKEN_IMAGE = Buffer.from('this is not a jpeg', 'utf8');
