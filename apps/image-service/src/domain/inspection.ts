import type { PhotoRejectionReason } from '@astria/events';

/** What Astria `POST /images/inspect` answers: the detected class, flags, and string characteristics. */
export type Inspection = Record<string, unknown> & {
  name?: unknown;
  funny_face?: unknown;
  blurry?: unknown;
  wearing_sunglasses?: unknown;
  includes_multiple_people?: unknown;
  wearing_hat?: unknown;
};

/** Checked in this order: the first flag that is set is the reason given to the user. */
const FLAGS: Array<[keyof Inspection, PhotoRejectionReason]> = [
  ['includes_multiple_people', 'multiple_people'],
  ['blurry', 'blurry'],
  ['wearing_sunglasses', 'sunglasses'],
  ['wearing_hat', 'hat'],
  ['funny_face', 'funny_face'],
];

export interface InspectionVerdict {
  status: 'accepted' | 'rejected';
  reason?: PhotoRejectionReason;
  subjectClass?: string;
  characteristics: Record<string, string>;
}

/** Keys that are flags or the class, not characteristics of the person. */
const NOT_CHARACTERISTICS = new Set(['name', 'selfie', 'full_body_image_or_longshot']);

/** The non-empty string characteristics of an inspection (eye_color, hair_color, …). */
export function characteristicsOf(inspection: Inspection): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(inspection)) {
    if (NOT_CHARACTERISTICS.has(key) || typeof value !== 'string') continue;
    const trimmed = value.trim();
    if (trimmed && /^[a-z][a-z0-9_]{0,63}$/.test(key)) out[key] = trimmed.slice(0, 200);
  }
  return out;
}

/** Accept or reject a photo from its inspection. */
export function judgeInspection(inspection: Inspection): InspectionVerdict {
  const characteristics = characteristicsOf(inspection);
  const name = typeof inspection.name === 'string' ? inspection.name.trim().toLowerCase() : '';
  if (!name) return { status: 'rejected', reason: 'no_person', characteristics };
  for (const [flag, reason] of FLAGS) {
    if (inspection[flag] === true || inspection[flag] === 'true') {
      return { status: 'rejected', reason, subjectClass: name, characteristics };
    }
  }
  return { status: 'accepted', subjectClass: name, characteristics };
}

/**
 * The tune's characteristics: for each key, the value a strict majority of the accepted photos agree on.
 * Keys with no majority are left out (Astria then infers them).
 */
export function majorityCharacteristics(photos: Array<Record<string, string>>): Record<string, string> {
  const counts = new Map<string, Map<string, number>>();
  for (const photo of photos) {
    for (const [key, value] of Object.entries(photo)) {
      const perValue = counts.get(key) ?? new Map<string, number>();
      perValue.set(value, (perValue.get(value) ?? 0) + 1);
      counts.set(key, perValue);
    }
  }
  const out: Record<string, string> = {};
  for (const [key, perValue] of [...counts].sort(([a], [b]) => a.localeCompare(b))) {
    for (const [value, n] of perValue) {
      if (n * 2 > photos.length) out[key] = value;
    }
  }
  return out;
}
