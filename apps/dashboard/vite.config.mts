import { defineConfig } from 'vite';

// `vite` (dev): the page with hot reload; API calls go to a running api (`npm start`, or PITCHPULSE_API_URL).
const api = process.env.PITCHPULSE_API_URL ?? 'http://127.0.0.1:8080';

// `vite build`: the api serves dist/ at `/`: index.html with `no-cache`, dist/assets/* (content-hashed names)
// as immutable.
export default defineConfig({
  base: './',
  server: {
    proxy: { '/api': api, '/metrics': api, '/docs': api },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    // One small script and one stylesheet: nothing to split.
    modulePreload: false,
  },
});
