/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm run dev` serves the UI on :5173 and proxies the API to a Tropism on :8080.
export default defineConfig({
  plugins: [react()],
  server: {
    proxy: { '/v1': 'http://localhost:8080' },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // uPlot and React are the bulk; one chunk keeps the page to two requests.
    chunkSizeWarningLimit: 1000,
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test-setup.ts'],
    // styles.css is read (as ?raw) by styles.test.ts; other CSS stays empty in tests
    css: { include: [/styles\.css/] },
  },
});
