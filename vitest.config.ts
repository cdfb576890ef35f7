import { defineConfig } from 'vitest/config';

// One run over every workspace package; each package is a project named after it.
// Tests import sibling packages through their built `dist` (run `pnpm build` first; `pnpm test` does).
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'infra/test'],
  },
});
