import { describe, expect, it } from 'vitest';
import { decideOwner, type StageSettings, userBucket } from '../src/index.js';

const canary = (percent: number, extra: Partial<StageSettings> = {}): StageSettings => ({
  stage: 'canary',
  percent,
  allow: [],
  deny: [],
  version: 1,
  ...extra,
});
const users = Array.from({ length: 1000 }, (_, i) => `9725000${String(i).padStart(5, '0')}`);

describe('decideOwner', () => {
  it('puts about the stage percentage of users on the new system, by a stable hash', () => {
    const moved = users.filter(
      (userId) => decideOwner({ userId, settings: canary(10), midTrainingInOldApp: false }).owner === 'new',
    );
    expect(moved.length).toBeGreaterThan(60);
    expect(moved.length).toBeLessThan(140);
    expect(users.map(userBucket)).toEqual(users.map(userBucket));
  });

  it('only adds users as the percentage grows', () => {
    const at = (p: number) =>
      new Set(
        users.filter(
          (userId) => decideOwner({ userId, settings: canary(p), midTrainingInOldApp: false }).owner === 'new',
        ),
      );
    const ten = at(10);
    const fifty = at(50);
    for (const u of ten) expect(fifty.has(u)).toBe(true);
    expect(at(100).size).toBe(users.length);
    expect(at(0).size).toBe(0);
  });

  it('keeps a user on the new system once there (sticky), even when the percentage shrinks or they are denied later', () => {
    const userId = users.find((u) => userBucket(u) >= 10) ?? '';
    expect(decideOwner({ userId, settings: canary(10), midTrainingInOldApp: false }).owner).toBe('old');
    expect(
      decideOwner({ userId, settings: canary(10, { deny: [userId] }), assigned: 'new', midTrainingInOldApp: false }),
    ).toEqual({
      owner: 'new',
      reason: 'sticky',
    });
  });

  it('honours allow and deny lists, and leaves a user mid-training in the old app there', () => {
    const inHash = users.find((u) => userBucket(u) < 50) ?? '';
    const outHash = users.find((u) => userBucket(u) >= 50) ?? '';
    expect(
      decideOwner({ userId: outHash, settings: canary(50, { allow: [outHash] }), midTrainingInOldApp: false }),
    ).toEqual({
      owner: 'new',
      reason: 'allow',
    });
    expect(
      decideOwner({ userId: inHash, settings: canary(50, { deny: [inHash] }), midTrainingInOldApp: false }).owner,
    ).toBe('old');
    expect(decideOwner({ userId: inHash, settings: canary(50), midTrainingInOldApp: true })).toEqual({
      owner: 'old',
      reason: 'mid-training-in-old-app',
    });
    const full: StageSettings = { ...canary(100), stage: 'full' };
    expect(decideOwner({ userId: outHash, settings: full, midTrainingInOldApp: true }).owner).toBe('old');
    expect(decideOwner({ userId: outHash, settings: full, midTrainingInOldApp: false }).owner).toBe('new');
  });

  it('sends everyone to the old app in shadow and fallback, sticky or not', () => {
    for (const stage of ['shadow', 'fallback'] as const) {
      const settings: StageSettings = { ...canary(100, { allow: [users[0] ?? ''] }), stage };
      expect(decideOwner({ userId: users[0] ?? '', settings, assigned: 'new', midTrainingInOldApp: false }).owner).toBe(
        'old',
      );
    }
  });
});
