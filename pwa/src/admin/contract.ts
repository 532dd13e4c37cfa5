/** The admin API's answers for the routing preview and the audit history, from the generated types. */
import type { Schema } from "../lib/api-types";

export type RoutingPreview = Schema<"RoutingPreview">;
export type AuditEntry = Schema<"AuditEntry">;
export type AuditPage = Schema<"AuditPage">;
