import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { compression, defineAlgorithm } from 'vite-plugin-compression2';

/** Port of the signal process during `npm run dev` (vite serves the app and proxies /ws to it). */
const DEV_SIGNAL_PORT = 8081;

export default defineConfig({
  root: 'web',
  build: {
    outDir: '../dist',
    emptyOutDir: true,
    target: 'es2022',
  },
  server: {
    proxy: { '/ws': { target: `ws://127.0.0.1:${DEV_SIGNAL_PORT}`, ws: true } },
  },
  plugins: [
    VitePWA({
      strategies: 'injectManifest',
      srcDir: '../sw',
      filename: 'sw.ts',
      registerType: 'prompt',
      injectRegister: false,
      manifest: false,
      injectManifest: {
        globPatterns: ['**/*.{js,css,html,svg,png,ico,webmanifest}'],
      },
    }),
    // Precompressed copies that the signal server sends to browsers that accept them.
    compression({
      algorithms: [defineAlgorithm('brotliCompress'), defineAlgorithm('gzip')],
      threshold: 1024,
      include: /\.(js|css|html|svg|json|webmanifest)$/,
    }),
  ],
});
