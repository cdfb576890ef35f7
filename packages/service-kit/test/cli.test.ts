import { describe, expect, it } from 'vitest';
import { commandStatus, parseCommand } from '../src/cli.js';

const OPTIONS = { 'dry-run': { type: 'boolean' }, tier: { type: 'string' } } as const;

describe('parseCommand', () => {
  it.each([
    { argv: ['cleanup'], expected: { kind: 'run', values: {}, positionals: ['cleanup'] } },
    {
      argv: ['--dry-run', 'cleanup', '--tier', 'lite'],
      expected: { kind: 'run', values: { 'dry-run': true, tier: 'lite' }, positionals: ['cleanup'] },
    },
    { argv: ['--help'], expected: { kind: 'help' } },
    { argv: ['cleanup', '-h'], expected: { kind: 'help' } },
    { argv: ['--force', '--help'], expected: { kind: 'help' } },
    { argv: ['cleanup', '--force'], expected: { kind: 'usage', error: 'unknown option --force' } },
    { argv: ['--tier'], expected: { kind: 'usage', error: expect.stringContaining('--tier') } },
  ])('$argv', ({ argv, expected }) => {
    expect(parseCommand(argv, OPTIONS)).toEqual(expected);
  });
});

describe('commandStatus', () => {
  const run = async (parsed: Parameters<typeof commandStatus>[0], result: () => Promise<number | undefined>) => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const code = await commandStatus(parsed, 'Usage: x', result, {
      stdout: (l) => stdout.push(l),
      stderr: (l) => stderr.push(l),
    });
    return { code, stdout, stderr };
  };

  it.each([
    { name: 'help', parsed: { kind: 'help' }, code: 0, stdout: ['Usage: x'], stderr: [] },
    {
      name: 'usage',
      parsed: { kind: 'usage', error: 'unknown option --x' },
      code: 2,
      stdout: [],
      stderr: ['unknown option --x\n\nUsage: x'],
    },
  ] as const)('$name', async ({ parsed, code, stdout, stderr }) => {
    expect(await run(parsed, async () => 0)).toEqual({ code, stdout, stderr });
  });

  it("answers run's status, and 1 with the message on stderr when it throws", async () => {
    expect(await run({ kind: 'run' }, async () => 3)).toEqual({ code: 3, stdout: [], stderr: [] });
    expect(await run({ kind: 'run' }, async () => undefined)).toMatchObject({ code: undefined });
    expect(
      await run({ kind: 'run' }, async () => {
        throw new Error('database unreachable');
      }),
    ).toEqual({ code: 1, stdout: [], stderr: ['database unreachable'] });
  });
});
