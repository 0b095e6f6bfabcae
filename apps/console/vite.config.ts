// Built to static files that key-service serves at /console (CONSOLE_DIR). No source maps: the files ship
// in the key-service image and need none.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, target: 'es2022' },
});
