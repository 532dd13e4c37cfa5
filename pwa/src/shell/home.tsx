/**
 * Home for every role but field officers: who you are and what this app does for you today.
 * The control-room and admin screens come later; until then this lists only real things.
 */
import { hasKey, setLanguage, t } from "../lib/i18n";
import { useStore } from "../lib/store";
import { app, signOut } from "./state";
import { PageTitle, useLanguage } from "./ui";

export function Home() {
  const s = useStore(app);
  const lang = useLanguage();
  const user = s.session?.user;
  if (!user) return null;
  const roleKey = `role.${user.role}`;
  const role = hasKey(roleKey) ? t(roleKey) : user.role;
  return (
    <section class="screen" data-testid="home">
      <PageTitle>{t("home.hello", { name: user.full_name })}</PageTitle>
      <p>{t("home.role", { role })}</p>
      {user.agency && <p>{t("home.agency", { agency: user.agency.name })}</p>}
      <h2>{t("home.can_do")}</h2>
      <ul class="link-list">
        {["operator", "dispatcher", "admin"].includes(user.role) && (
          <li>
            <a class="link-card" href="/intake" data-testid="home-intake">
              <strong>{t("home.intake")}</strong>
              <span class="muted">{t("home.intake_hint")}</span>
            </a>
          </li>
        )}
        {["dispatcher", "supervisor", "admin", "operator", "coordinator"].includes(user.role) && (
          <li>
            <a class="link-card" href="/dispatch" data-testid="home-dispatch">
              <strong>{t("home.dispatch")}</strong>
              <span class="muted">{t("home.dispatch_hint")}</span>
            </a>
          </li>
        )}
        {["coordinator", "admin"].includes(user.role) && (
          <li>
            <a class="link-card" href="/teams" data-testid="home-teams">
              <strong>{t("home.teams")}</strong>
              <span class="muted">{t("home.teams_hint")}</span>
            </a>
          </li>
        )}
        {["supervisor", "admin", "coordinator"].includes(user.role) && (
          <li>
            <a class="link-card" href="/dashboard" data-testid="home-dashboard">
              <strong>{t("dash.home_link")}</strong>
              <span class="muted">{t("dash.home_hint")}</span>
            </a>
          </li>
        )}
        <li>
          <a class="link-card" href="/schema" target="_blank" rel="noopener">
            <strong>{t("home.api_docs")}</strong>
            <span class="muted">{t("home.api_docs_hint")}</span>
          </a>
        </li>
        <li>
          <button
            type="button"
            class="link-card"
            onClick={() => setLanguage(lang === "id" ? "en" : "id")}
          >
            <strong>{t("home.language")}</strong>
            <span class="muted" lang={lang === "id" ? "en" : "id"}>
              {t("lang.switch")}
            </span>
          </button>
        </li>
        <li>
          <button type="button" class="link-card" onClick={() => void signOut()}>
            <strong>{t("home.signout")}</strong>
            <span class="muted">{user.username}</span>
          </button>
        </li>
      </ul>
      <p class="muted">{t("home.coming", { role })}</p>
    </section>
  );
}

/** For visitors who are not signed in: citizens report and track without an account. */
export function CitizenLinks() {
  useLanguage();
  return (
    <section class="screen citizen-links" aria-labelledby="citizen-links-title">
      <h2 id="citizen-links-title">{t("citizen.home_title")}</h2>
      <ul class="link-list">
        <li>
          <a class="link-card" href="/lapor" data-testid="home-lapor">
            <strong>{t("citizen.lapor")}</strong>
            <span class="muted">{t("citizen.lapor_hint")}</span>
          </a>
        </li>
        <li>
          <a class="link-card" href="/lacak" data-testid="home-lacak">
            <strong>{t("citizen.lacak")}</strong>
            <span class="muted">{t("citizen.lacak_hint")}</span>
          </a>
        </li>
      </ul>
    </section>
  );
}
