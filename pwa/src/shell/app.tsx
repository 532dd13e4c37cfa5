/** The app shell: header (connectivity, outbox counter, language), prompts, and the screens. */
import type { FunctionComponent } from "preact";
import { useEffect, useState } from "preact/hooks";
import { Tasks } from "../field/tasks";
import { setLanguage, t } from "../lib/i18n";
import { navigate, onLinkClick, type Route, useRoute } from "../lib/router";
import { useStore } from "../lib/store";
import { CitizenLinks, Home } from "./home";
import { Login } from "./login";
import { OutboxScreen } from "./outbox-screen";
import { app } from "./state";
import { useLanguage } from "./ui";

// The case screen carries the map (Leaflet): loaded on first use, precached for offline.
type CaseProps = { id: string };
let caseScreen: FunctionComponent<CaseProps> | null = null;

function LazyCase({ id }: CaseProps) {
  const [Comp, setComp] = useState(() => caseScreen);
  useEffect(() => {
    if (Comp) return;
    void import("../field/case").then((m) => {
      caseScreen = m.CaseScreen;
      setComp(() => m.CaseScreen);
    });
  }, [Comp]);
  return Comp ? <Comp id={id} /> : <p class="loading">{t("app.loading")}</p>;
}

// The citizen pages (report, track; no sign-in) are their own chunk, Leaflet included.
type CitizenProps = { route: Route };
let citizenScreens: FunctionComponent<CitizenProps> | null = null;

function LazyCitizen({ route }: CitizenProps) {
  const [Comp, setComp] = useState(() => citizenScreens);
  useEffect(() => {
    if (Comp) return;
    void import("../citizen/screens").then((m) => {
      citizenScreens = m.CitizenScreen;
      setComp(() => m.CitizenScreen);
    });
  }, [Comp]);
  return Comp ? <Comp route={route} /> : <p class="loading">{t("app.loading")}</p>;
}

// The control-room console is desktop only: its own chunk, never in a field officer's first screen.
let intakeScreen: FunctionComponent | null = null;

let dispatchScreen: FunctionComponent | null = null;

function LazyDispatch() {
  const [Comp, setComp] = useState(() => dispatchScreen);
  useEffect(() => {
    if (Comp) return;
    void import("../dispatch/dispatch").then((m) => {
      dispatchScreen = m.Dispatch;
      setComp(() => m.Dispatch);
    });
  }, [Comp]);
  return Comp ? <Comp /> : <p class="loading">{t("app.loading")}</p>;
}

let teamsScreen: FunctionComponent | null = null;

function LazyTeams() {
  const [Comp, setComp] = useState(() => teamsScreen);
  useEffect(() => {
    if (Comp) return;
    void import("../coordinator/teams").then((m) => {
      teamsScreen = m.Teams;
      setComp(() => m.Teams);
    });
  }, [Comp]);
  return Comp ? <Comp /> : <p class="loading">{t("app.loading")}</p>;
}

function LazyIntake() {
  const [Comp, setComp] = useState(() => intakeScreen);
  useEffect(() => {
    if (Comp) return;
    void import("../operator/intake").then((m) => {
      intakeScreen = m.Intake;
      setComp(() => m.Intake);
    });
  }, [Comp]);
  return Comp ? <Comp /> : <p class="loading">{t("app.loading")}</p>;
}

// The statistics dashboard (charts, map) is its own chunk: never in a field officer's first screen.
type DashProps = { which: "dashboard" | "cases"; role: string };
let dashboardScreen: FunctionComponent<DashProps> | null = null;

function LazyDashboard(props: DashProps) {
  const [Comp, setComp] = useState(() => dashboardScreen);
  useEffect(() => {
    if (Comp) return;
    void import("../supervisor/screens").then((m) => {
      dashboardScreen = m.DashboardScreen;
      setComp(() => m.DashboardScreen);
    });
  }, [Comp]);
  return Comp ? <Comp {...props} /> : <p class="loading">{t("app.loading")}</p>;
}

export interface AppProps {
  updateSW?: () => void;
}

function Header() {
  const s = useStore(app);
  const lang = useLanguage();
  const problems = s.outbox.filter((i) => i.state !== "pending").length;
  const n = s.outbox.length;
  return (
    <header class="topbar">
      <a class="brand" href="/">
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
        {s.user && (
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

function Screen() {
  const route = useRoute();
  const s = useStore(app);
  const signedIn = s.session !== null;
  const isField = s.session?.user.role === "field_officer";

  useEffect(() => {
    if (!s.ready) return;
    const citizen = route.name === "lapor" || route.name === "lacak";
    if (!signedIn && route.name !== "login" && !citizen) navigate("/login", true);
    if (signedIn && (route.name === "login" || route.name === "unknown")) navigate("/", true);
    if (signedIn && !isField && (route.name === "tasks" || route.name === "case")) {
      navigate("/", true);
    }
  }, [s.ready, signedIn, isField, route.name]);

  if (!s.ready) return <p class="loading">{t("app.loading")}</p>;
  if (route.name === "lapor" || route.name === "lacak") return <LazyCitizen route={route} />;
  if (!signedIn) {
    return (
      <>
        <Login />
        <CitizenLinks />
      </>
    );
  }
  switch (route.name) {
    case "home":
    case "tasks":
      return isField ? <Tasks /> : <Home />;
    case "outbox":
      return <OutboxScreen />;
    case "intake":
      return isField ? <Home /> : <LazyIntake />;
    case "dispatch":
      return isField ? <Home /> : <LazyDispatch />;
    case "teams":
      return isField ? <Home /> : <LazyTeams />;
    case "case":
      return isField ? <LazyCase id={route.id} /> : <Home />;
    case "dashboard":
    case "dashboard-cases":
      return (
        <LazyDashboard
          which={route.name === "dashboard" ? "dashboard" : "cases"}
          role={s.session?.user.role ?? ""}
        />
      );
    default:
      return <p class="loading">{t("app.loading")}</p>;
  }
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
