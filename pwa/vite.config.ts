/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import { VitePWA } from "vite-plugin-pwa";

// The API (tanggap dev, port 8000) answers /api, /health and /schema while `npm run dev` serves
// the app with hot reload.
const API = process.env.TANGGAP_API ?? "http://127.0.0.1:8000";

export default defineConfig({
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  server: {
    host: "127.0.0.1",
    port: 5173,
    proxy: { "/api": API, "/health": API, "/schema": API },
  },
  build: {
    target: "es2022",
    // No inline scripts: the API's Content-Security-Policy allows script-src 'self' only.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  plugins: [
    VitePWA({
      strategies: "injectManifest",
      srcDir: "src",
      filename: "sw.ts",
      registerType: "prompt",
      injectRegister: false,
      manifestFilename: "manifest.webmanifest",
      includeAssets: ["favicon.svg", "icons/apple-touch-icon.png"],
      injectManifest: {
        globPatterns: ["**/*.{js,css,html,png,svg,webmanifest}"],
        maximumFileSizeToCacheInBytes: 3 * 1024 * 1024,
        // One classic script: every browser can register it, no module-worker support needed.
        rollupFormat: "iife",
      },
      manifest: {
        id: "/",
        name: "Tanggap 112",
        short_name: "Tanggap 112",
        description: "Layanan darurat & pengaduan 112: tugas lapangan, luring lebih dulu.",
        lang: "id",
        dir: "ltr",
        start_url: "/",
        scope: "/",
        display: "standalone",
        orientation: "portrait",
        background_color: "#ffffff",
        theme_color: "#a3201b",
        categories: ["utilities", "productivity"],
        icons: [
          { src: "/icons/icon-192.png", sizes: "192x192", type: "image/png", purpose: "any" },
          { src: "/icons/icon-512.png", sizes: "512x512", type: "image/png", purpose: "any" },
          {
            src: "/icons/maskable-512.png",
            sizes: "512x512",
            type: "image/png",
            purpose: "maskable",
          },
        ],
        shortcuts: [
          {
            name: "Tugas saya",
            short_name: "Tugas",
            description: "Kasus tim Anda, paling mendesak di atas",
            url: "/tasks",
            icons: [{ src: "/icons/shortcut-tasks-96.png", sizes: "96x96", type: "image/png" }],
          },
          {
            name: "Antrean kirim",
            short_name: "Antrean",
            description: "Tindakan yang menunggu sinyal",
            url: "/outbox",
            icons: [{ src: "/icons/shortcut-outbox-96.png", sizes: "96x96", type: "image/png" }],
          },
        ],
      },
      devOptions: { enabled: false, type: "module" },
    }),
  ],
  test: {
    environment: "happy-dom",
    include: ["tests/**/*.test.ts"],
  },
});
