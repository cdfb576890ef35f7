/**
 * Reads a value at a dotted path with array indexes (`Properties.Property_M-3[0].Name`) from parsed
 * JSON. Keys may contain `-`; a missing step anywhere yields undefined. Pure.
 */
export function readPath(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const segment of path.split('.')) {
    const match = /^([^[\]]+)((?:\[\d+\])*)$/.exec(segment);
    if (!match) return undefined;
    current = property(current, match[1] as string);
    for (const index of (match[2] ?? '').matchAll(/\[(\d+)\]/g)) {
      if (!Array.isArray(current)) return undefined;
      current = current[Number(index[1])];
    }
    if (current === undefined) return undefined;
  }
  return current;
}

function property(value: unknown, key: string): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}
