/**
 * The shell's own pages: the citizens' landing at `/` (report, track, call 112; staff sign-in one
 * tap away), the staff menu (the screens of one's role, language, sign out) and not-found.
 */
import { hasKey, type Key, setLanguage, t } from "../lib/i18n";
import { landingFor, mayOpen, parseRoute } from "../lib/router";
import { useStore } from "../lib/store";
import { ButtonCard, LinkCard } from "../ui/room-link-card";
import { app, signOut } from "./state";
import { AsideLink, PageTitle, useLanguage } from "./ui";

// The staff screens in the menu, in the order of a case's life.
const SCREENS: { path: string; testid: string; title: Key; hint: Key }[] = [
  { path: "/tasks", testid: "home-tasks", title: "tasks.title", hint: "home.tasks_hint" },
  { path: "/intake", testid: "home-intake", title: "home.intake", hint: "home.intake_hint" },
  {
    path: "/dispatch",
    testid: "home-dispatch",
    title: "home.dispatch",
    hint: "home.dispatch_hint",
  },
  { path: "/teams", testid: "home-teams", title: "home.teams", hint: "home.teams_hint" },
  { path: "/dashboard", testid: "home-dashboard", title: "dash.home_link", hint: "dash.home_hint" },
  { path: "/admin", testid: "home-admin", title: "admin.title", hint: "admin.hint" },
];

/** The staff menu (/menu): who you are, the screens of your role, language, sign out. */
export function Home() {
  const s = useStore(app);
  const lang = useLanguage();
  const user = s.session?.user;
  if (!user) return null;
  const roleKey = `role.${user.role}`;
  const role = hasKey(roleKey) ? t(roleKey) : "";
  return (
    <section class="screen" data-testid="home">
      <PageTitle>{t("home.hello", { name: user.full_name })}</PageTitle>
      {role && <p>{t("home.role", { role })}</p>}
      {user.agency && <p>{t("home.agency", { agency: user.agency.name })}</p>}
      <h2>{t("home.can_do")}</h2>
      <ul class="link-list">
        {SCREENS.filter((x) => mayOpen(user.role, parseRoute(x.path))).map((x) => (
          <LinkCard
            key={x.path}
            href={x.path}
            testid={x.testid}
            title={t(x.title)}
            hint={t(x.hint)}
          />
        ))}
        <ButtonCard
          onClick={() => setLanguage(lang === "id" ? "en" : "id")}
          title={t("home.language")}
          hint={t("lang.switch")}
          hintLang={lang === "id" ? "en" : "id"}
        />
        <ButtonCard onClick={() => void signOut()} title={t("home.signout")} hint={user.username} />
      </ul>
    </section>
  );
}

/** The public root: citizens report and track without an account, or call 112. */
export function Landing() {
  useLanguage();
  return (
    <section class="screen landing" data-testid="landing">
      <PageTitle>{t("landing.title")}</PageTitle>
      <p class="muted">{t("landing.intro")}</p>
      <a class="call-112" href="tel:112" data-testid="call-112">
        <span class="call-112-number" aria-hidden="true">
          112
        </span>
        <span>
          <strong>{t("landing.call")}</strong>
          <span class="muted">{t("landing.call_hint")}</span>
        </span>
      </a>
      <ul class="link-list">
        <LinkCard
          href="/lapor"
          testid="home-lapor"
          title={t("citizen.lapor")}
          hint={t("citizen.lapor_hint")}
        />
        <LinkCard
          href="/lacak"
          testid="home-lacak"
          title={t("citizen.lacak")}
          hint={t("citizen.lacak_hint")}
        />
      </ul>
      <AsideLink href="/login" testid="staff-login">
        {t("landing.staff")}
      </AsideLink>
    </section>
  );
}

/** Any address the app does not know: say so, and offer the way back. */
export function NotFound() {
  const s = useStore(app);
  useLanguage();
  const home = s.session ? landingFor(s.session.user.role) : "/";
  return (
    <section class="screen narrow" data-testid="not-found">
      <PageTitle>{t("notfound.title")}</PageTitle>
      <p>{t("notfound.body")}</p>
      <a class="btn btn-primary" href={home}>
        {t("notfound.home")}
      </a>
    </section>
  );
}
