/** Table columns the console's screens share with its overview (users, agencies, categories, teams). */
import type { Schema } from "../lib/api-types";
import { t } from "../lib/i18n";
import { priorityLabel } from "../shell/ui";
import { activeWord, named, nameOf, roleName } from "./data";
import type { Column } from "./table";

type Agency = Schema<"AgencyOut">;

export const nameCol: Column<{ name_id: string; name_en: string }> = ["admin.col.name", named];
export const statusCol: Column<{ active: boolean }> = [
  "admin.col.status",
  (r) => activeWord(r.active),
];

/** The agency a row belongs to, by name, out of the agencies loaded. */
export const agencyCol = (
  agencies: Agency[] | null | undefined,
): Column<{ agency_id: number | null }> => [
  "admin.col.agency",
  (r) => nameOf(agencies, r.agency_id, named),
];

export const kindName = (kind: string) =>
  t(kind === "partner" ? "admin.kind.partner" : "admin.kind.opd");
export const kindCol: Column<{ kind: string }> = ["admin.col.kind", (a) => kindName(a.kind)];

/** A user: name, username, role, agency, active. */
export const userCols = (agencies: Agency[] | null | undefined): Column<Schema<"UserOut">>[] => [
  ["admin.col.name", (u) => u.full_name],
  ["admin.col.username", (u) => u.username],
  ["admin.col.role", (u) => roleName(u.role)],
  agencyCol(agencies),
  statusCol,
];

/** A category: name, agency, priority, SLA targets (minutes), active. */
export const categoryCols = (
  agencies: Agency[] | null | undefined,
): Column<Schema<"admin_CategoryOut">>[] => [
  nameCol,
  agencyCol(agencies),
  ["admin.col.priority", (c) => priorityLabel(c.priority)],
  [
    "admin.col.sla",
    (c) => `${c.sla_accept_min} / ${c.sla_arrive_min} / ${c.sla_resolve_min}`,
    true,
  ],
  statusCol,
];

/** A team: name, agency, how many members, on duty or not. */
export const teamCols = (agencies: Agency[] | null | undefined): Column<Schema<"TeamOut">>[] => [
  ["admin.col.name", (x) => x.name],
  agencyCol(agencies),
  ["admin.col.members", (x) => x.member_ids.length, true],
  ["admin.col.duty", (x) => t(x.on_duty ? "teams.on_duty" : "teams.off_duty")],
];
