import { gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { compression, defineAlgorithm } from 'vite-plugin-compression2';

/** The app must feel instant on a phone: the JS needed for the first screen stays under this, gzipped. */
const INITIAL_JS_BUDGET_KB = 60;

/** Reports the gzipped size of the JS the first load needs (entry and its static imports) and fails the build over budget. */
function initialJsBudget(limitKb: number): Plugin {
  return {
    name: 'whisper-initial-js-budget',
    apply: 'build',
    generateBundle(_options, bundle) {
      const entry = Object.values(bundle).find((output) => output.type === 'chunk' && output.isEntry && output.facadeModuleId?.endsWith('index.html'));
      if (!entry || entry.type !== 'chunk') return;
      const files = new Set<string>();
      const pending = [entry.fileName];
      while (pending.length > 0) {
        const file = pending.pop()!;
        const chunk = bundle[file];
        if (files.has(file) || chunk?.type !== 'chunk') continue;
        files.add(file);
        pending.push(...chunk.imports);
      }
      const bytes = [...files].reduce((sum, file) => sum + gzipSync((bundle[file] as { code: string }).code).length, 0);
      const message = `initial JS: ${(bytes / 1024).toFixed(1)} KB gzipped in ${files.size} file(s) (budget ${limitKb} KB)`;
      if (bytes > limitKb * 1024) this.error(message);
      console.log(message);
    },
  };
}

/** Port of the signal process during `npm run dev` (vite serves the app and proxies /ws to it). */
const DEV_SIGNAL_PORT = 8081;

export default defineConfig({
  root: 'web',
  build: {
    outDir: '../dist',
    emptyOutDir: true,
    target: 'es2022',
  },
  // The receiving worker (web/transfer/transfer-receiver.worker.ts) is a module worker, as every engine has them.
  worker: { format: 'es' },
  server: {
    proxy: { '/ws': { target: `ws://127.0.0.1:${DEV_SIGNAL_PORT}`, ws: true } },
  },
  plugins: [
    initialJsBudget(INITIAL_JS_BUDGET_KB),
    VitePWA({
      strategies: 'injectManifest',
      srcDir: '../sw',
      filename: 'sw.ts',
      registerType: 'prompt',
      injectRegister: false,
      manifest: {
        id: '/',
        name: 'Whisper',
        short_name: 'Whisper',
        description: 'Private, direct peer-to-peer chat, file sharing and calls. Nothing goes through a server.',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        orientation: 'any',
        background_color: '#f4f5fa',
        theme_color: '#4f46e5',
        categories: ['social', 'communication'],
        share_target: {
          action: '/share-target',
          method: 'POST',
          enctype: 'multipart/form-data',
          params: { files: [{ name: 'files', accept: ['*/*'] }] },
        },
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: '/icons/maskable-192.png', sizes: '192x192', type: 'image/png', purpose: 'maskable' },
          { src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
        screenshots: [
          { src: '/screenshots/narrow.png', sizes: '720x1280', type: 'image/png', form_factor: 'narrow', label: 'A conversation on a phone' },
          { src: '/screenshots/wide.png', sizes: '1280x800', type: 'image/png', form_factor: 'wide', label: 'People and a conversation on a desktop' },
        ],
      },
      injectManifest: {
        globPatterns: ['**/*.{js,css,html,svg,png,webmanifest}'],
        // Store screenshots are for install dialogs, not for the offline shell.
        globIgnores: ['screenshots/**'],
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
