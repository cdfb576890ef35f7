import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imaging } from '@astria/db';
import { request } from '@astria/service-kit';
import { sql } from 'drizzle-orm';
import type { Sharp } from 'sharp';
import type { ImageContext } from './context.js';

export const PREVIEW_WIDTH = 720;
export const PREVIEW_HEIGHT = 1280;
/** Mean luminance (0-255) under which an image counts as near-black and is skipped. */
export const NEAR_BLACK_LUMA = 16;

export type SkipCause = 'download' | 'broken' | 'near_black';

/**
 * Decodes an image and letterboxes it into the portrait frame (black bars), or says why it is skipped:
 * broken (not decodable) or near-black (a failed render).
 */
export async function preparePreviewFrame(bytes: Buffer): Promise<{ frame: Buffer } | { skip: SkipCause }> {
  // sharp (libvips, a native library) loads on first use, not at start.
  const { default: sharp } = await import('sharp');
  let image: Sharp;
  try {
    image = sharp(bytes, { failOn: 'error' }).rotate();
    const stats = await image.clone().stats();
    const channels = stats.channels.slice(0, 3);
    const [r, g, b] = channels.map((c) => c.mean);
    const luma = channels.length >= 3 ? 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0) : (r ?? 0);
    if (luma < NEAR_BLACK_LUMA) return { skip: 'near_black' };
  } catch {
    return { skip: 'broken' };
  }
  try {
    const frame = await image
      .resize(PREVIEW_WIDTH, PREVIEW_HEIGHT, { fit: 'contain', background: { r: 0, g: 0, b: 0 } })
      .flatten({ background: { r: 0, g: 0, b: 0 } })
      .jpeg({ quality: 90 })
      .toBuffer();
    return { frame };
  } catch {
    return { skip: 'broken' };
  }
}

/** Runs ffmpeg; rejects with its stderr tail on a non-zero exit. */
export function runFfmpeg(ffmpegPath: string, args: string[], timeoutMs = 120_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpegPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`ffmpeg exited with ${code ?? signal}: ${stderr.slice(-1000)}`));
    });
  });
}

/**
 * Frames → MP4: H.264 baseline, yuv420p, +faststart (plays while downloading, as WhatsApp wants),
 * each frame shown `secondsPerImage` seconds.
 */
export async function encodePreview(
  ffmpegPath: string,
  frames: Buffer[],
  secondsPerImage: number,
): Promise<{ mp4: Buffer; durationSeconds: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'astria-preview-'));
  try {
    for (const [i, frame] of frames.entries()) {
      await writeFile(join(dir, `frame_${String(i).padStart(4, '0')}.jpg`), frame);
    }
    const out = join(dir, 'preview.mp4');
    await runFfmpeg(ffmpegPath, [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-framerate',
      `1/${secondsPerImage}`,
      '-i',
      join(dir, 'frame_%04d.jpg'),
      '-vf',
      `scale=${PREVIEW_WIDTH}:${PREVIEW_HEIGHT}:force_original_aspect_ratio=decrease,pad=${PREVIEW_WIDTH}:${PREVIEW_HEIGHT}:(ow-iw)/2:(oh-ih)/2,format=yuv420p`,
      '-c:v',
      'libx264',
      '-profile:v',
      'baseline',
      '-level',
      '3.1',
      '-preset',
      'veryfast',
      '-pix_fmt',
      'yuv420p',
      '-r',
      '24',
      '-movflags',
      '+faststart',
      '-an',
      out,
    ]);
    return { mp4: await readFile(out), durationSeconds: frames.length * secondsPerImage };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function previewBlobKey(packId: number, subjectClass: string): string {
  return `previews/pack-${packId}-${subjectClass.replace(/[^a-z0-9_-]/gi, '_')}.mp4`;
}

export interface PreviewResult {
  packId: number;
  subjectClass: string;
  url?: string;
  images: number;
  skipped: number;
  error?: string;
}

/** Builds one pack's preview for one class from the first image of each prompt; publishes pack_images_updated. */
export async function buildPackPreview(
  ctx: ImageContext,
  packId: number,
  subjectClass: string,
  prompts: Array<{ images?: string[] }>,
): Promise<PreviewResult> {
  const stop = ctx.metrics.previewBuildSeconds.startTimer();
  const frames: Buffer[] = [];
  let skipped = 0;
  for (const prompt of prompts) {
    const url = prompt.images?.find((u) => typeof u === 'string' && !/\.(mp4|mov|webm)(\?|$)/i.test(u));
    if (!url) continue;
    let bytes: Buffer;
    try {
      const res = await request('astria-media', url, { timeoutMs: ctx.config.MEDIA_TIMEOUT_MS });
      bytes = Buffer.from(await res.arrayBuffer());
    } catch (error) {
      skipped++;
      ctx.metrics.previewFailedImages.inc({ cause: 'download' });
      ctx.log.warn(
        { packId, url, err: error instanceof Error ? error.message : error },
        'preview image not downloaded',
      );
      continue;
    }
    const prepared = await preparePreviewFrame(bytes);
    if ('skip' in prepared) {
      skipped++;
      ctx.metrics.previewFailedImages.inc({ cause: prepared.skip });
      continue;
    }
    frames.push(prepared.frame);
  }
  if (frames.length === 0) {
    stop();
    return { packId, subjectClass, images: 0, skipped, error: 'no usable image' };
  }
  const { mp4, durationSeconds } = await encodePreview(
    ctx.config.FFMPEG_PATH,
    frames,
    ctx.config.PREVIEW_SECONDS_PER_IMAGE,
  );
  const key = previewBlobKey(packId, subjectClass);
  await ctx.blobs.put(key, mp4, 'video/mp4');
  const url = await ctx.blobs.publicUrl(key);
  await ctx.database.db.transaction(async (tx) => {
    await tx
      .insert(imaging.previewVideos)
      .values({
        packId,
        subjectClass,
        blobKey: key,
        url,
        imageCount: frames.length,
        skippedCount: skipped,
        durationSeconds,
      })
      .onConflictDoUpdate({
        target: [imaging.previewVideos.packId, imaging.previewVideos.subjectClass],
        set: {
          blobKey: key,
          url,
          imageCount: frames.length,
          skippedCount: skipped,
          durationSeconds,
          builtAt: sql`now()`,
        },
      });
    await ctx.outbox.add(tx, 'pack_images_updated', { packId, subjectClass, url }, { key: `pack:${packId}` });
  });
  stop();
  ctx.log.info({ packId, subjectClass, images: frames.length, skipped, url }, 'pack preview rebuilt');
  return { packId, subjectClass, url, images: frames.length, skipped };
}

/** Rebuilds every pack's previews (one pack or class failing does not stop the others). */
export async function rebuildAllPreviews(
  ctx: ImageContext,
  options: { packIds?: number[]; signal?: AbortSignal } = {},
): Promise<PreviewResult[]> {
  const packs = options.packIds ? options.packIds.map((id) => ({ id })) : await ctx.astria.listPacks();
  const results: PreviewResult[] = [];
  for (const { id } of packs) {
    if (options.signal?.aborted) break; // shutting down: the next rebuild starts from scratch
    try {
      const pack = await ctx.astria.getPack(id);
      for (const [subjectClass, prompts] of Object.entries(pack.prompts_per_class ?? {})) {
        if (options.signal?.aborted) break;
        try {
          results.push(await buildPackPreview(ctx, id, subjectClass, Array.isArray(prompts) ? prompts : []));
        } catch (error) {
          ctx.log.error({ packId: id, subjectClass, err: error }, 'pack preview failed');
          results.push({ packId: id, subjectClass, images: 0, skipped: 0, error: String(error) });
        }
      }
    } catch (error) {
      ctx.log.error({ packId: id, err: error }, 'pack could not be read');
      results.push({ packId: id, subjectClass: '', images: 0, skipped: 0, error: String(error) });
    }
  }
  return results;
}

/** One rebuild at a time: a request while one runs joins it. */
export class PreviewRebuilder {
  private running: Promise<PreviewResult[]> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();

  constructor(private readonly ctx: ImageContext) {}

  get busy(): boolean {
    return this.running !== undefined;
  }

  start(): { started: boolean; done: Promise<PreviewResult[]> } {
    if (this.running) return { started: false, done: this.running };
    if (this.abort.signal.aborted) return { started: false, done: Promise.resolve([]) };
    const done = rebuildAllPreviews(this.ctx, { signal: this.abort.signal })
      .catch((error: unknown) => {
        this.ctx.log.error({ err: error }, 'preview rebuild failed');
        return [] as PreviewResult[];
      })
      .finally(() => {
        this.running = undefined;
      });
    this.running = done;
    return { started: true, done };
  }

  /** Every `intervalHours` (0: never); at once when no preview was ever built (a fresh install, the sandbox). */
  async schedule(intervalHours: number): Promise<void> {
    if (intervalHours <= 0) return;
    this.timer = setInterval(() => this.start(), intervalHours * 3_600_000);
    this.timer.unref();
    const [existing] = await this.ctx.database.db
      .select({ packId: imaging.previewVideos.packId })
      .from(imaging.previewVideos)
      .limit(1);
    if (!existing) this.start();
  }

  /** Stops the schedule; a running rebuild finishes its current pack only. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.abort.abort();
    await this.running;
  }
}
