/**
 * Two answers of the admin API that the console uses before their routes reach this branch:
 * the routing preview and the audit history (issue #18, built in parallel). They follow the
 * agreed contract field for field; once the API's generated types hold them, these become
 * `Schema<"RoutingPreview">`, `Schema<"AuditEntry">` and `Schema<"AuditPage">`.
 */
export interface RoutingPreview {
  agency_id: number;
  agency_name: string;
  area_id: number | null;
  area_name: string | null;
  out_of_area: boolean;
  rule_id: number | null;
  team_id: number | null;
  team_name: string | null;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor_id: number | null;
  actor_name: string | null;
  action: string;
  entity: string;
  entity_id: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

export interface AuditPage {
  items: AuditEntry[];
  next_before: number | null;
}
