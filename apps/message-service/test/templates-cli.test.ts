import { startWhatsAppSimulator, type WhatsAppSimulator } from '@astria/simulators/whatsapp';
import { afterEach, describe, expect, it } from 'vitest';
import { SHIPPED_TEMPLATES } from '../src/conversation/window.js';
import { parseArgs, runTemplatesCli } from '../src/templates-cli.js';
import { API_KEY, APP_SECRET, NUMBER_ID } from './harness.js';

const WABA = '102290129340398';

describe('pnpm whatsapp templates (against the WhatsApp simulator)', () => {
  let sim: WhatsAppSimulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  async function run(argv: string[], env: Record<string, string> = {}) {
    const parsed = parseArgs(argv);
    if (parsed.kind !== 'list') throw new Error(`not a run: ${JSON.stringify(parsed)}`);
    const stdout: string[] = [];
    const stderr: string[] = [];
    const code = await runTemplatesCli(parsed, {
      stdout: (line) => stdout.push(line),
      stderr: (line) => stderr.push(line),
      env: {
        WHATSAPP_API_URL: sim?.url ?? 'http://127.0.0.1:9/v21.0',
        WHATSAPP_API_KEY: API_KEY,
        WHATSAPP_WABA_ID: WABA,
        ...env,
      },
    });
    return { code, stdout, stderr };
  }
  const statusOf = (stdout: string[], purpose: string, lang: string) =>
    stdout
      .find((l) => l.startsWith(purpose) && l.split(/\s+/)[1] === lang)
      ?.split(/\s+/)
      .at(-1);

  it('lists each purpose × language with its status; --submit-missing submits the shipped texts; approval ends it', async () => {
    sim = await startWhatsAppSimulator({
      phoneNumberId: NUMBER_ID,
      accessToken: API_KEY,
      appSecret: APP_SECRET,
      wabaId: WABA,
      templates: ['astria_payment_received'],
    });
    const listed = await run(['templates']);
    expect(listed.code).toBe(1);
    expect(statusOf(listed.stdout, 'payment_received', 'en')).toBe('APPROVED');
    expect(statusOf(listed.stdout, 'payment_received', 'he')).toBe('APPROVED');
    expect(statusOf(listed.stdout, 'images_ready', 'he')).toBe('MISSING');
    expect(listed.stdout.join('\n')).toContain('4 missing: pnpm whatsapp templates --submit-missing');

    const submitted = await run(['templates', '--submit-missing']);
    expect(submitted.code).toBe(0);
    expect(submitted.stdout.filter((l) => l.startsWith('submitted'))).toHaveLength(4);
    const library = sim.messageTemplates.filter((t) => t.status === 'PENDING');
    expect(library.map((t) => `${t.name}:${t.language}`).sort()).toEqual([
      'astria_follow_up:en',
      'astria_follow_up:he',
      'astria_portraits_ready:en',
      'astria_portraits_ready:he',
    ]);
    const ready = library.find((t) => t.name === 'astria_portraits_ready' && t.language === 'he');
    expect(ready?.category).toBe('UTILITY');
    expect(ready?.components).toEqual([
      { type: 'BODY', text: SHIPPED_TEMPLATES.images_ready.texts.he.body },
      { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'שלחו אותם' }] },
    ]);

    // Submitted but not reviewed: PENDING, nothing submitted twice.
    const pending = await run(['templates', '--submit-missing']);
    expect(statusOf(pending.stdout, 'follow_up', 'en')).toBe('PENDING');
    expect(pending.stdout.some((l) => l.startsWith('submitted'))).toBe(false);
    expect(pending.code).toBe(1);
    for (const t of library) sim.setTemplateStatus(t.name, t.language, 'APPROVED');
    const approved = await run(['templates']);
    expect(approved.code).toBe(0);
    expect(approved.stdout.slice(1).every((l) => l.endsWith('APPROVED'))).toBe(true);
  });

  it('WHATSAPP_TEMPLATES overrides are what is checked; bad settings are exit 78, Graph errors exit 1', async () => {
    sim = await startWhatsAppSimulator({
      phoneNumberId: NUMBER_ID,
      accessToken: API_KEY,
      appSecret: APP_SECRET,
      wabaId: WABA,
    });
    const custom = await run(['templates'], {
      WHATSAPP_TEMPLATES: JSON.stringify({ images_ready: { he: { name: 'my_ready', language: 'he' } } }),
    });
    expect(custom.stdout.find((l) => l.includes('my_ready'))).toMatch(/MISSING$/);
    expect(custom.code).toBe(1);
    expect((await run(['templates'], { WHATSAPP_WABA_ID: '' })).code).toBe(78);
    const wrongToken = await run(['templates'], { WHATSAPP_API_KEY: 'wrong' });
    expect(wrongToken.code).toBe(1);
    expect(wrongToken.stderr.join()).toContain('HTTP 401');
  });

  it.each([
    [['templates'], { kind: 'list', submitMissing: false }],
    [['templates', '--submit-missing'], { kind: 'list', submitMissing: true }],
    [['--help'], { kind: 'help' }],
    [[], { kind: 'usage', error: 'expected the command: templates' }],
    [['templates', '--submit'], { kind: 'usage', error: 'unknown option --submit' }],
    [['send'], { kind: 'usage', error: 'expected the command: templates' }],
  ])('parses %j', (argv, expected) => {
    expect(parseArgs(argv)).toEqual(expected);
  });
});
