import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // One build of the seed dataset, shared by the end-to-end tests.
    globalSetup: ['tests/e2e/global-setup.ts'],
    // End-to-end tests launch Chromium and print real PDFs.
    testTimeout: 120_000,
    hookTimeout: 240_000,
    // Two cores: files run in parallel but the browser tests are heavy; keep it modest.
    maxWorkers: 2,
  },
});
