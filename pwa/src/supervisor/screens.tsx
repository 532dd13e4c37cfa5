/** The dashboard chunk's entry: the shell loads this module on the first visit to /dashboard. */
import { t } from "../lib/i18n";
import { PageTitle } from "../shell/ui";
import { DashboardCases } from "./cases";
import { Dashboard } from "./dashboard";

/** Roles the statistics API answers (docs/stats.md). */
export const DASHBOARD_ROLES = new Set(["admin", "supervisor", "dispatcher", "coordinator"]);

export function DashboardScreen({ which, role }: { which: "dashboard" | "cases"; role: string }) {
  if (!DASHBOARD_ROLES.has(role)) {
    return (
      <section class="screen">
        <PageTitle>{t("dash.title")}</PageTitle>
        <p>{t("dash.not_allowed")}</p>
      </section>
    );
  }
  return which === "cases" ? <DashboardCases /> : <Dashboard />;
}
