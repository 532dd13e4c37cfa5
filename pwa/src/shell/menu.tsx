/**
 * The staff menu (/menu): who you are, the screens of your role, language, sign out. A chunk of
 * its own: a field officer's first screen never needs it (their header has no menu link).
 */
import { hasKey, type Key, setLanguage, t } from "../lib/i18n";
import { issuesWarnings, mayOpen, parseRoute } from "../lib/router";
import { useStore } from "../lib/store";
import { ButtonCard, LinkCard } from "../ui/room-link-card";
import { app, signOut } from "./state";
import { PageTitle, useLanguage } from "./ui";

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
  { path: "/warnings", testid: "home-warnings", title: "home.warn", hint: "home.warn_hint" },
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
        {SCREENS.filter((x) =>
          x.path === "/warnings" ? issuesWarnings(user) : mayOpen(user.role, parseRoute(x.path)),
        ).map((x) => (
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
