/** The app shell: header (connectivity, outbox counter, language), prompts, and the screens. */
import type { FunctionComponent } from "preact";
import { useEffect, useState } from "preact/hooks";
import { Tasks } from "../field/tasks";
import { setLanguage, t } from "../lib/i18n";
import {
  landingFor,
  mayOpen,
  navigate,
  onLinkClick,
  parseRoute,
  type Route,
  useRoute,
} from "../lib/router";
import { useStore } from "../lib/store";
import { Landing, NotFound } from "./home";
import { lazyScreen } from "./lazy";
import { Login } from "./login";
import { OutboxScreen } from "./outbox-screen";
import { app } from "./state";
import { useLanguage } from "./ui";

const LazyCase = lazyScreen(() => import("../field/case").then((m) => m.CaseScreen));
const LazyCitizen = lazyScreen(() => import("../citizen/screens").then((m) => m.CitizenScreen));
const LazyIntake = lazyScreen(() => import("../operator/intake").then((m) => m.Intake));
const LazyDispatch = lazyScreen(() => import("../dispatch/dispatch").then((m) => m.Dispatch));
const LazyTeams = lazyScreen(() => import("../coordinator/teams").then((m) => m.Teams));
const LazyDashboard = lazyScreen(() =>
  import("../supervisor/screens").then((m) => m.DashboardScreen),
);
const LazyMenu = lazyScreen(() => import("./menu").then((m) => m.Home));
const LazyAdmin = lazyScreen(() => import("../admin/home").then((m) => m.AdminHome));
const LazyWarnings = lazyScreen(() => import("../warnings/warnings").then((m) => m.WarningsScreen));

/** The screens that take no parameter, by route. */
const PLAIN_SCREENS: Partial<Record<Route["name"], FunctionComponent>> = {
  tasks: Tasks,
  outbox: OutboxScreen,
  menu: LazyMenu,
  intake: LazyIntake,
  dispatch: LazyDispatch,
  teams: LazyTeams,
  admin: LazyAdmin,
};

export interface AppProps {
  updateSW?: () => void;
}

function Header() {
  const s = useStore(app);
  const lang = useLanguage();
  const problems = s.outbox.filter((i) => i.state !== "pending").length;
  const n = s.outbox.length;
  return (
    <header
      class={`topbar ${s.session && s.session.user.role !== "field_officer" ? "has-menu" : ""}`}
    >
      <a class="brand" href="/" aria-label={t("app.name")}>
        <img src="/favicon.svg" alt="" width={32} height={32} />
        <span>{t("app.name")}</span>
      </a>
      <div class="topbar-tools">
        <span
          class={`pill ${s.online ? "pill-online" : "pill-offline"}`}
          role="status"
          data-testid="net-status"
        >
          <span class="dot" aria-hidden="true" />
          {s.online ? t("net.online") : t("net.offline")}
        </span>
        {s.session && (
          <a
            class={`pill pill-outbox ${n ? "has-items" : ""} ${problems ? "has-problems" : ""}`}
            href="/outbox"
            data-testid="outbox-counter"
            data-count={n}
          >
            <span aria-hidden="true">⇅ </span>
            <span class="visually-hidden">{t("outbox.title")}: </span>
            {n}
            <span class="visually-hidden">
              {" "}
              ({n ? t("outbox.counter", { n }) : t("outbox.counter_zero")})
            </span>
          </a>
        )}
        <button
          type="button"
          class="pill pill-lang"
          onClick={() => setLanguage(lang === "id" ? "en" : "id")}
        >
          <span class="visually-hidden">{t("lang.switch_hint")}: </span>
          {lang === "id" ? "EN" : "ID"}
        </button>
        {s.session && s.session.user.role !== "field_officer" && (
          <a class="pill pill-menu" href="/menu" data-testid="nav-menu">
            {t("app.menu")}
          </a>
        )}
      </div>
    </header>
  );
}

function Banners({ updateSW }: AppProps) {
  const s = useStore(app);
  const problems = s.outbox.filter((i) => i.state !== "pending").length;
  return (
    <div class="banners">
      {!s.online && (
        <p class="banner banner-offline" data-testid="offline-banner">
          {t("net.offline_hint")}
        </p>
      )}
      {s.needRefresh && (
        <div class="banner banner-update" role="alert" data-testid="update-prompt">
          <div>
            <strong>{t("update.title")}</strong>
            <p>{t("update.body")}</p>
          </div>
          <button type="button" class="btn btn-primary" onClick={() => updateSW?.()}>
            {t("update.button")}
          </button>
        </div>
      )}
      {problems > 0 && (
        <div class="banner banner-conflict" role="alert" data-testid="conflict-banner">
          <p>{t("conflict.banner", { n: problems })}</p>
          <a class="btn btn-secondary" href="/outbox">
            {t("conflict.view")}
          </a>
        </div>
      )}
      {s.sessionExpired && s.session === null && (
        <p class="banner banner-conflict" role="alert">
          {t("session.expired")}
        </p>
      )}
      {s.installPrompt && s.session && (
        <div class="banner banner-install" data-testid="install-prompt">
          <div>
            <strong>{t("install.title")}</strong>
            <p>{t("install.body")}</p>
          </div>
          <div class="row">
            <button
              type="button"
              class="btn btn-primary"
              onClick={async () => {
                const e = s.installPrompt;
                app.set({ installPrompt: null });
                await e?.prompt();
              }}
            >
              {t("install.button")}
            </button>
            <button
              type="button"
              class="btn btn-secondary"
              onClick={() => app.set({ installPrompt: null })}
            >
              {t("install.later")}
            </button>
          </div>
        </div>
      )}
    </div>
  );
}

function Toaster() {
  const { toast } = useStore(app);
  const [visible, setVisible] = useState(false);
  useEffect(() => {
    if (!toast) return;
    setVisible(true);
    const timer = setTimeout(() => setVisible(false), 5000);
    return () => clearTimeout(timer);
  }, [toast?.id]);
  return (
    <div class="toast-region" aria-live="polite" data-testid="toast">
      {toast && visible ? <p class="toast">{toast.text ?? t(toast.key, toast.params)}</p> : null}
    </div>
  );
}

// A staff link opened while signed out: shown again right after signing in.
let afterSignIn: string | null = null;

function Screen() {
  const route = useRoute();
  const s = useStore(app);
  const role = s.session?.user.role;
  const signedIn = s.session !== null;
  const citizen = route.name === "lapor" || route.name === "lacak";
  const open = route.name === "home" || route.name === "login" || route.name === "unknown";

  useEffect(() => {
    if (!s.ready) return;
    if (!signedIn) {
      if (!citizen && !open) {
        afterSignIn = location.pathname + location.search;
        navigate("/login", true);
      }
      return;
    }
    if (route.name === "home" || route.name === "login") {
      const next = afterSignIn && mayOpen(role, parseRoute(afterSignIn)) ? afterSignIn : null;
      afterSignIn = null;
      navigate(next ?? landingFor(role), true);
    } else if (!citizen && !/unknown|warnings/.test(route.name) && !mayOpen(role, route)) {
      navigate(landingFor(role), true);
    }
  }, [s.ready, signedIn, role, route]);

  if (!s.ready) return <p class="loading">{t("app.loading")}</p>;
  if (citizen) return <LazyCitizen route={route} />;
  if (route.name === "unknown") return <NotFound />;
  if (!signedIn) return route.name === "home" ? <Landing /> : <Login />;
  // A shared warning link says "not for your role" (the screen itself, see the effect above)
  // rather than jumping to the person's own screen.
  if (route.name === "warnings") return <LazyWarnings id={route.id} />;
  if (!mayOpen(role, route)) return <p class="loading">{t("app.loading")}</p>;
  if (route.name === "case") return <LazyCase id={route.id} />;
  if (route.name === "dashboard" || route.name === "dashboard-cases") {
    const which = route.name === "dashboard" ? "dashboard" : "cases";
    return <LazyDashboard which={which} role={role ?? ""} />;
  }
  const Plain = PLAIN_SCREENS[route.name];
  return Plain ? <Plain /> : <p class="loading">{t("app.loading")}</p>;
}

export function App({ updateSW }: AppProps) {
  useLanguage();
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions lint/a11y/useKeyWithClickEvents: delegated link routing; links stay keyboard-usable
    <div class="app" onClick={onLinkClick}>
      <a class="skip" href="#main">
        {t("app.skip")}
      </a>
      <Header />
      <Banners updateSW={updateSW} />
      <main id="main">
        <Screen />
      </main>
      <Toaster />
    </div>
  );
}
