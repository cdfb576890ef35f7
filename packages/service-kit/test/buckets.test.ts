import { describe, expect, it } from 'vitest';
import { secondsBuckets } from '../src/index.js';

describe('secondsBuckets', () => {
  it.each([
    { first: 0.001, last: 2.5, expected: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] },
    { first: 0.001, last: 5, expected: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] },
    { first: 0.005, last: 10, expected: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
    { first: 0.01, last: 7, expected: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] },
  ])('$first … $last', ({ first, last, expected }) => {
    expect(secondsBuckets(first, last)).toEqual(expected);
  });
});
