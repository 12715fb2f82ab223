// Builds the dashboard into client/dashboard/dist, which the server serves at `/`.
// `npm run dev:dashboard` serves it with hot reload, proxying the API and socket to a server on port 3000.
// The service worker is a second entry, built to dist/service-worker.js: served from the root, its scope is the
// whole dashboard, and its name stays the same from build to build so that browsers find its updates.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { bundleBudget } from './bundle-budget.ts';

const root = fileURLToPath(new URL('.', import.meta.url));
const repository = fileURLToPath(new URL('../..', import.meta.url));
const SERVICE_WORKER = 'service-worker';

export default defineConfig({
  root,
  base: '/',
  publicDir: 'public',
  plugins: [bundleBudget()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    rollupOptions: {
      input: {
        index: `${root}index.html`,
        [SERVICE_WORKER]: `${root}service-worker/service-worker.ts`,
      },
      output: {
        entryFileNames: (chunk) =>
          chunk.name === SERVICE_WORKER ? `${SERVICE_WORKER}.js` : 'assets/[name]-[hash].js',
      },
    },
  },
  server: {
    fs: { allow: [repository] },
    // In development the worker is served from its source folder, as a module, and registered for the root.
    headers: { 'Service-Worker-Allowed': '/' },
    proxy: {
      '/api': 'http://localhost:3000',
      '/socket.io': { target: 'ws://localhost:3000', ws: true },
    },
  },
});
