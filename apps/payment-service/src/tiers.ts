export const TIERS = ['lite', 'standard', 'premium'] as const;
export type Tier = (typeof TIERS)[number];

/** `Standard`, ` LITE ` → the tier; anything else → null. */
export function parseTier(value: unknown): Tier | null {
  if (typeof value !== 'string') return null;
  const name = value.trim().toLowerCase();
  return (TIERS as readonly string[]).includes(name) ? (name as Tier) : null;
}
