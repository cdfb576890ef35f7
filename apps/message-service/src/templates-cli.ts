import {
  CONFIG_EXIT,
  loadCommandConfig,
  type WhatsAppTemplatesCommandConfig,
  whatsappTemplatesCommandConfigSchema,
} from '@astria/config';
import { HttpError, request } from '@astria/service-kit';
import { type CommandIo, type CommandLine, parseCommand } from '@astria/service-kit/cli';
import type { Language } from './conversation/types.js';
import { resolveTemplates, SHIPPED_TEMPLATES, TEMPLATE_PURPOSES, type TemplatePurpose } from './conversation/window.js';

export const USAGE = `Usage: pnpm whatsapp templates [--submit-missing]

Lists the window templates the message service sends (per purpose and language, WHATSAPP_TEMPLATES over
the documented defaults) with their approval status in the WhatsApp Business Account
(GET /{WHATSAPP_WABA_ID}/message_templates).

Options:
  --submit-missing   submit the templates the account lacks (category UTILITY, the texts the repo ships
                     for en and he, a quick-reply button); Meta reviews them (PENDING → APPROVED)
  --help             this text

Reads WHATSAPP_API_URL, WHATSAPP_API_KEY, WHATSAPP_WABA_ID, WHATSAPP_TEMPLATES (.env too).
Exit status: 0 every template approved (or submitted), 1 some missing or not approved, 2 usage, 78 configuration.`;

export type ParsedArgs = CommandLine<{ kind: 'list'; submitMissing: boolean }>;

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const parsed = parseCommand(argv, { 'submit-missing': { type: 'boolean' } });
  if (parsed.kind !== 'run') return parsed;
  if (parsed.positionals.length !== 1 || parsed.positionals[0] !== 'templates')
    return { kind: 'usage', error: 'expected the command: templates' };
  return { kind: 'list', submitMissing: parsed.values['submit-missing'] === true };
}

/** One template the service sends, and what the account says of it. */
export interface TemplateRow {
  purpose: TemplatePurpose;
  language: Language;
  name: string;
  code: string;
  /** APPROVED, PENDING, REJECTED, PAUSED…, or MISSING (not in the account). */
  status: string;
}

interface GraphTemplate {
  name: string;
  language: string;
  status: string;
}

function graph(config: WhatsAppTemplatesCommandConfig) {
  const base = config.WHATSAPP_API_URL.replace(/\/$/, '');
  const headers = { authorization: `Bearer ${config.WHATSAPP_API_KEY}`, 'user-agent': 'astria-bot/1.0' };
  const timeoutMs = config.WHATSAPP_HTTP_TIMEOUT_MS;
  const url = `${base}/${config.WHATSAPP_WABA_ID}/message_templates`;
  return {
    /** Every template of the account, following Graph's paging. */
    async list(): Promise<GraphTemplate[]> {
      const out: GraphTemplate[] = [];
      let next: string | undefined = `${url}?fields=name,language,status,category&limit=100`;
      for (let pages = 0; next && pages < 100; pages++) {
        const res = await request('whatsapp', next, { headers, timeoutMs });
        const page = (await res.json()) as { data?: GraphTemplate[]; paging?: { next?: string } };
        out.push(...(page.data ?? []));
        next = page.paging?.next;
      }
      return out;
    },
    async submit(template: {
      name: string;
      language: string;
      body: string;
      button: string;
    }): Promise<{ status: string }> {
      const res = await request('whatsapp', url, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        timeoutMs,
        body: JSON.stringify({
          name: template.name,
          language: template.language,
          category: 'UTILITY',
          components: [
            { type: 'BODY', text: template.body },
            { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: template.button }] },
          ],
        }),
      });
      const answer = (await res.json()) as { status?: string };
      return { status: answer.status ?? 'PENDING' };
    },
  };
}

/** The configured templates and their status in the account; with `submitMissing`, the missing ones are submitted. */
export async function templateStatus(
  config: WhatsAppTemplatesCommandConfig,
  { submitMissing = false }: { submitMissing?: boolean } = {},
): Promise<{ rows: TemplateRow[]; submitted: TemplateRow[] }> {
  const api = graph(config);
  const existing = await api.list();
  const configured = resolveTemplates(config.WHATSAPP_TEMPLATES);
  const rows: TemplateRow[] = TEMPLATE_PURPOSES.flatMap((purpose) =>
    (['en', 'he'] as const).map((language) => {
      const ref = configured[purpose][language];
      const found = existing.find((t) => t.name === ref.name && t.language === ref.language);
      return { purpose, language, name: ref.name, code: ref.language, status: found?.status ?? 'MISSING' };
    }),
  );
  const submitted: TemplateRow[] = [];
  if (submitMissing) {
    // One name and language may serve several purposes: submitted once.
    const seen = new Set<string>();
    for (const row of rows.filter((r) => r.status === 'MISSING')) {
      const key = `${row.name}:${row.code}`;
      if (!seen.has(key)) {
        seen.add(key);
        const text = SHIPPED_TEMPLATES[row.purpose].texts[row.language];
        const answer = await api.submit({ name: row.name, language: row.code, ...text });
        submitted.push({ ...row, status: answer.status });
      }
      row.status = submitted.find((s) => s.name === row.name && s.code === row.code)?.status ?? row.status;
    }
  }
  return { rows, submitted };
}

/** The command without process concerns (tested against the WhatsApp simulator). Returns the exit code. */
export async function runTemplatesCli(parsed: Extract<ParsedArgs, { kind: 'list' }>, io: CommandIo): Promise<number> {
  const config = loadCommandConfig('whatsapp templates', whatsappTemplatesCommandConfigSchema, io);
  if (config === undefined) return CONFIG_EXIT;
  let result: Awaited<ReturnType<typeof templateStatus>>;
  try {
    result = await templateStatus(config, { submitMissing: parsed.submitMissing });
  } catch (error) {
    const detail = error instanceof HttpError ? `HTTP ${error.status}` : error instanceof Error ? error.message : error;
    io.stderr(`Graph API: ${detail} (check WHATSAPP_API_KEY and WHATSAPP_WABA_ID)`);
    return 1;
  }
  const width = Math.max(...result.rows.map((r) => r.name.length), 4);
  io.stdout(`${'purpose'.padEnd(17)}${'lang'.padEnd(6)}${'name'.padEnd(width + 2)}status`);
  for (const row of result.rows) {
    io.stdout(`${row.purpose.padEnd(17)}${row.code.padEnd(6)}${row.name.padEnd(width + 2)}${row.status}`);
  }
  for (const row of result.submitted) io.stdout(`submitted ${row.name} (${row.code}): ${row.status}`);
  const missing = result.rows.filter((r) => r.status === 'MISSING').length;
  const notApproved = result.rows.filter((r) => r.status !== 'APPROVED' && r.status !== 'MISSING').length;
  if (missing > 0) io.stdout(`${missing} missing: pnpm whatsapp templates --submit-missing`);
  if (notApproved > 0) io.stdout(`${notApproved} not approved yet (Meta reviews within minutes, up to 24 h)`);
  return missing > 0 || (notApproved > 0 && result.submitted.length === 0) ? 1 : 0;
}
