/**
 * The admin console (/admin/...): one lazily loaded chunk, desktop-first and usable on a tablet.
 * A navigation of its screens, then the screen of the address: the overview at /admin, the
 * users, agencies and teams, categories, areas and routing rules, neighbouring regions, Open311
 * keys and history.
 */
import "./admin.css";
// The console's words first: every screen below speaks them.
import "./words";
import type { FunctionComponent } from "preact";
import type { Key } from "../lib/i18n";
import { t } from "../lib/i18n";
import { type AdminSection, useRoute } from "../lib/router";
import { PageTitle, useLanguage } from "../shell/ui";
import { AgenciesScreen } from "./agencies";
import { AreasScreen } from "./areas";
import { CategoriesScreen } from "./categories";
import { HistoryScreen } from "./history";
import { KeysScreen } from "./keys";
import { NeighboursScreen } from "./neighbours";
import { AdminOverview } from "./overview";
import { UsersScreen } from "./users";

const SCREENS: Record<AdminSection, [Key, FunctionComponent]> = {
  users: ["admin.users", UsersScreen],
  agencies: ["admin.nav.agencies", AgenciesScreen],
  categories: ["admin.categories", CategoriesScreen],
  areas: ["admin.nav.areas", AreasScreen],
  neighbours: ["admin.nav.neighbours", NeighboursScreen],
  keys: ["admin.nav.keys", KeysScreen],
  history: ["admin.nav.history", HistoryScreen],
};

export function AdminHome() {
  useLanguage();
  const route = useRoute();
  const section = route.name === "admin" ? route.section : undefined;
  const Screen = section ? SCREENS[section][1] : AdminOverview;
  const links: [string, Key, boolean][] = [
    ["/admin", "admin.nav.overview", !section],
    ...Object.entries(SCREENS).map(
      ([s, [key]]) => [`/admin/${s}`, key, s === section] as [string, Key, boolean],
    ),
  ];
  return (
    <section class="screen admin-console" data-testid={`admin-${section ?? "overview"}`}>
      <PageTitle key={section}>{section ? t(SCREENS[section][0]) : t("admin.title")}</PageTitle>
      <nav class="admin-nav" aria-label={t("admin.nav")} data-testid="admin-nav">
        <ul>
          {links.map(([href, key, current]) => (
            <li key={href}>
              <a href={href} aria-current={current ? "page" : undefined}>
                {t(key)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <Screen key={section ?? "overview"} />
    </section>
  );
}
