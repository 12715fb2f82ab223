// Builds the dashboard into client/dashboard/dist, which the server serves at `/`.
// `npm run dev:dashboard` serves it with hot reload, proxying the API and socket to a server on port 3000.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { bundleBudget } from './bundle-budget.ts';

const root = fileURLToPath(new URL('.', import.meta.url));
const repository = fileURLToPath(new URL('../..', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  publicDir: 'public',
  plugins: [bundleBudget()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: true },
  server: {
    fs: { allow: [repository] },
    proxy: {
      '/api': 'http://localhost:3000',
      '/socket.io': { target: 'ws://localhost:3000', ws: true },
    },
  },
});
