import { describe, expect, it } from 'vitest';
import { boundedJson, sanitizeText, storableId, storableString, textProblem } from '../src/index.js';

describe('storable text and JSON (what PostgreSQL text/jsonb can hold)', () => {
  it.each([
    ['plain', 'hello שלום 👋', null],
    ['NUL', 'a\u0000b', 'nul'],
    ['lone high surrogate', 'x\ud800y', 'lone_surrogate'],
    ['lone low surrogate', 'x\udfffy', 'lone_surrogate'],
    ['high surrogate at the end', 'x\ud83d', 'lone_surrogate'],
    ['a proper pair', '\ud83d\ude00', null],
  ])('textProblem: %s', (_name, text, problem) => {
    expect(textProblem(text)).toBe(problem);
  });

  it('sanitizeText replaces NUL and lone surrogates, cuts long text with a marker and never splits a pair', () => {
    expect(sanitizeText('a\u0000b\ud800', 100)).toBe('a\ufffdb\ufffd');
    expect(sanitizeText('x'.repeat(50), 10)).toBe(`${'x'.repeat(10)}…[+40]`);
    expect(sanitizeText(`abc\ud83d\ude00def`, 4)).toBe('abc…[+5]');
    expect(textProblem(sanitizeText('\udc00'.repeat(5), 3))).toBeNull();
  });

  it('storableString and storableId refuse what cannot be stored, with a reason', () => {
    expect(storableString(5).safeParse('abc').success).toBe(true);
    expect(storableString(5).safeParse('abcdef').error?.issues[0]?.message).toMatch(/^too_long/);
    expect(storableString(5).safeParse('a\u0000').error?.issues[0]?.message).toMatch(/^unstorable/);
    expect(storableId(64).safeParse('wamid.HBgLMTU1NTA=').success).toBe(true);
    expect(storableId(64).safeParse('wamid\u0007x').error?.issues[0]?.message).toMatch(/^unstorable/);
    expect(storableId(64).safeParse('').success).toBe(false);
  });

  it('boundedJson cuts depth, size, arrays and keys, sanitizes strings and keys, and survives 100,000 levels', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100_000; i++) deep = i % 2 ? [deep] : { a: deep };
    const copy = boundedJson({ deep, 'k\u0000': 'v\ud800', n: Number.POSITIVE_INFINITY }, { maxDepth: 8 });
    const text = JSON.stringify(copy);
    expect(text).toContain('…[depth]');
    expect(text).not.toMatch(/\\u0000|\\ud800/);
    expect(copy).toMatchObject({ 'k\ufffd': 'v\ufffd', n: null });

    const big = boundedJson({ list: Array.from({ length: 10_000 }, (_, i) => i), s: 'x'.repeat(100_000) });
    expect((big as { list: unknown[] }).list).toHaveLength(201);
    expect((big as { list: unknown[] }).list.at(-1)).toBe('…[+9800 items]');
    expect(JSON.stringify(big).length).toBeLessThan(70_000);
    expect(JSON.stringify(boundedJson(Array.from({ length: 5000 }, () => 'y'.repeat(2000)))).length).toBeLessThan(
      70_000,
    );
  });
});
