import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** Where the bundled sample selfies and example images live (beside src/ and dist/). */
export const ASSETS_DIR = fileURLToPath(new URL('../assets', import.meta.url));

export type SampleVerdict =
  | { accepted: true; subject: 'woman' | 'man' }
  | { accepted: false; flag: 'wearing_sunglasses' | 'includes_multiple_people' | 'wearing_hat' };

export interface Sample {
  name: string;
  label: string;
  verdict: SampleVerdict;
}

/** The bundled samples and what the simulated Astria inspection says about each. */
export const SAMPLES: readonly Sample[] = [
  { name: 'selfie-1.jpg', label: 'Selfie 1', verdict: { accepted: true, subject: 'woman' } },
  { name: 'selfie-2.jpg', label: 'Selfie 2', verdict: { accepted: true, subject: 'woman' } },
  { name: 'selfie-3.jpg', label: 'Selfie 3', verdict: { accepted: true, subject: 'woman' } },
  { name: 'selfie-4.jpg', label: 'Selfie 4', verdict: { accepted: true, subject: 'woman' } },
  { name: 'selfie-5.jpg', label: 'Selfie 5', verdict: { accepted: true, subject: 'woman' } },
  { name: 'sunglasses.jpg', label: 'With sunglasses', verdict: { accepted: false, flag: 'wearing_sunglasses' } },
  { name: 'group.jpg', label: 'Group photo', verdict: { accepted: false, flag: 'includes_multiple_people' } },
  { name: 'hat.jpg', label: 'With a hat', verdict: { accepted: false, flag: 'wearing_hat' } },
];

export function sampleByName(name: string): Sample | undefined {
  return SAMPLES.find((s) => s.name === name);
}

export function readSample(name: string): Promise<Buffer> {
  const sample = sampleByName(name);
  if (!sample) throw new Error(`no sample named ${name}`);
  return readFile(`${ASSETS_DIR}/samples/${sample.name}`);
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Decides a simulated inspection: a bundled sample gets its verdict (recognised by its bytes);
 * anything else, such as a photo the developer uploads, is an accepted selfie.
 */
export async function createSampleInspector(): Promise<(bytes: Uint8Array) => SampleVerdict> {
  const byHash = new Map<string, SampleVerdict>();
  for (const sample of SAMPLES) byHash.set(sha256(await readSample(sample.name)), sample.verdict);
  return (bytes) => byHash.get(sha256(bytes)) ?? { accepted: true, subject: 'woman' };
}
