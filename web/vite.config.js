// Vite build for the acdlink console: static files the daemon embeds and serves
// under a strict CSP (default-src 'self'), so nothing may be inlined.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    // data: URLs would be blocked by the CSP; always emit real files.
    assetsInlineLimit: 0,
    // The polyfill is not needed for the browsers we support and keeps the output plain.
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2020',
  },
  server: {
    // `npm run dev` proxies the API to a running daemon (ACDLINK_URL, default https://127.0.0.1:8443).
    proxy: {
      '/api': {
        target: process.env.ACDLINK_URL || 'https://127.0.0.1:8443',
        changeOrigin: true,
        secure: false,
      },
    },
  },
});
