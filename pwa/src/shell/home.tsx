/**
 * The shell's own pages: the citizens' landing at `/` (report, track, call 112; staff sign-in one
 * tap away) and not-found. The staff menu is in `menu.tsx`, a chunk of its own.
 */
import { t } from "../lib/i18n";
import { landingFor } from "../lib/router";
import { useStore } from "../lib/store";
import { LinkCard } from "../ui/room-link-card";
import { app } from "./state";
import { AsideLink, PageTitle, useLanguage } from "./ui";

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
