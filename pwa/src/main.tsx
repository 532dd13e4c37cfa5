/** Entry point: render the shell, register the service worker, start the session and outbox. */
import "./styles.css";
import { registerSW } from "virtual:pwa-register";
import { render } from "preact";
import { kvSet } from "./lib/db";
import { getLanguage, onLanguageChange } from "./lib/i18n";
import { navigate } from "./lib/router";
import { App } from "./shell/app";
import { app, boot } from "./shell/state";

let updateSW: ((reload?: boolean) => Promise<void>) | undefined;

/** Registered once the first screen is up and the phone is idle: it never competes with it. */
function registerServiceWorker(): void {
  updateSW = registerSW({
    immediate: true,
    onNeedRefresh: () => app.set({ needRefresh: true }),
  });
}

if ("serviceWorker" in navigator) {
  const idle = (
    window as { requestIdleCallback?: (cb: () => void, o: { timeout: number }) => number }
  ).requestIdleCallback;
  if (idle) idle(registerServiceWorker, { timeout: 3000 });
  else setTimeout(registerServiceWorker, 1000);
  // A tapped notification asks the open app to show the case.
  navigator.serviceWorker.addEventListener("message", (e: MessageEvent) => {
    if (e.data?.type === "open" && typeof e.data.url === "string") navigate(e.data.url);
  });
}

// The service worker sends the outbox in the officer's language too.
void kvSet("lang", getLanguage());
onLanguageChange((lang) => void kvSet("lang", lang));

const root = document.getElementById("app");
/** The officer tapped "reload": activate the waiting worker, then reload once it controls. */
function applyUpdate(): void {
  let reloading = false;
  // workbox-window reloads only for updates it saw start; a worker found by the browser's own
  // periodic check (the app stays open all shift) needs this too.
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (!reloading) {
      reloading = true;
      window.location.reload();
    }
  });
  void updateSW?.(true);
}

if (root) render(<App updateSW={applyUpdate} />, root);
void boot();
