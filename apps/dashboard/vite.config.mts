import { defineConfig } from 'vite';

// The api serves dist/ at `/`: index.html with `no-cache`, dist/assets/* (content-hashed names) as immutable.
export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    // One small script and one stylesheet: nothing to split.
    modulePreload: false,
  },
});
