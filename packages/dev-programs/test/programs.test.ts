import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { findOnPath, resolveChromium, resolveFfmpeg, resolveFfprobe } from '../src/index.js';

const run = promisify(execFile);

/** A folder holding an executable stand-in named `name`, to play "the system's program". */
function folderWith(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dev-programs-'));
  const file = join(dir, name);
  writeFileSync(file, '#!/bin/sh\nexit 0\n');
  chmodSync(file, 0o755);
  return dir;
}

describe('resolving development programs', () => {
  it('takes the environment variable first, then PATH, then the packaged copy', () => {
    const dir = folderWith('ffmpeg');
    const onPath = resolveFfmpeg({ PATH: dir });
    expect(onPath).toEqual({ path: join(dir, 'ffmpeg'), source: 'path' });

    const configured = resolveFfmpeg({ PATH: '', FFMPEG_PATH: join(dir, 'ffmpeg') });
    expect(configured).toEqual({ path: join(dir, 'ffmpeg'), source: 'environment' });

    const byName = resolveFfmpeg({ PATH: dir, FFMPEG_PATH: 'ffmpeg' });
    expect(byName.source).toBe('environment');

    const packaged = resolveFfmpeg({ PATH: '' });
    expect(packaged.source).toBe('package');
    expect(packaged.path).toMatch(/@ffmpeg-installer/);
  });

  it('says which variable is wrong when it names no program', () => {
    expect(() => resolveFfmpeg({ PATH: '', FFMPEG_PATH: '/nowhere/ffmpeg' })).toThrow(
      'FFMPEG_PATH=/nowhere/ffmpeg is not an executable file',
    );
    expect(() => resolveFfprobe({ PATH: '', FFPROBE_PATH: 'no-such-probe' })).toThrow(
      'FFPROBE_PATH=no-such-probe is not an executable on PATH',
    );
  });

  it('skips folders of PATH that do not hold the program and files that are not executable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dev-programs-'));
    writeFileSync(join(dir, 'ffprobe'), 'not executable');
    expect(findOnPath(['ffprobe'], { PATH: `/nonexistent:${dir}` })).toBeUndefined();
  });

  it('the packaged ffmpeg encodes H.264 and the packaged ffprobe reads its output', async () => {
    const ffmpeg = resolveFfmpeg({ PATH: '' }).path;
    const ffprobe = resolveFfprobe({ PATH: '' }).path;
    const out = join(mkdtempSync(join(tmpdir(), 'dev-programs-')), 'clip.mp4');
    await run(ffmpeg, [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'color=c=blue:s=64x64:d=0.2',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      out,
    ]);
    const { stdout } = await run(ffprobe, ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', out]);
    expect(stdout.trim()).toBe('h264');
  });

  it('finds a browser: the configured one without unpacking anything', async () => {
    const dir = folderWith('chromium');
    const browser = await resolveChromium({ PATH: '', CHROMIUM_PATH: join(dir, 'chromium') });
    expect(browser.source).toBe('environment');
    expect(browser.args).toContain('--disable-background-networking');
    const system = await resolveChromium({ PATH: dir });
    expect(system).toMatchObject({ path: join(dir, 'chromium'), source: 'path' });
  });
});
