/** The dashboard chunk's entry: the shell loads this module on the first visit to /dashboard. */
import { t } from "../lib/i18n";
import { mayOpen } from "../lib/router";
import { NotForRole } from "../shell/ui";
import { DashboardCases } from "./cases";
import { Dashboard } from "./dashboard";

export function DashboardScreen({ which, role }: { which: "dashboard" | "cases"; role: string }) {
  if (!mayOpen(role, "dashboard")) {
    return <NotForRole title={t("dash.title")} body={t("dash.not_allowed")} />;
  }
  return which === "cases" ? <DashboardCases /> : <Dashboard />;
}
