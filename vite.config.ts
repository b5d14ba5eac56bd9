/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';

export default defineConfig({
  plugins: [react()],
  // Relative base so the built app also works from any folder or file server.
  base: './',
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
    rollupOptions: {
      input: {
        main: resolve(__dirname, 'index.html'),
        // A page that exposes the pure layers to Playwright tests (kernel parity, readers in a browser).
        harness: resolve(__dirname, 'harness.html'),
      },
    },
  },
  server: { host: '127.0.0.1' },
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    pool: 'forks',
    // CLI merges in tests (and the CLIs they spawn) keep their input-hash cache out of ~/.cache.
    env: { CAPVECTOR_CACHE_DIR: join(tmpdir(), 'capvector-test-cache') },
  },
});
