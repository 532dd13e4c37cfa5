/** Shapes of the API's answers the app reads (see /schema/openapi.json). */

export type Role =
  | "admin"
  | "supervisor"
  | "operator"
  | "dispatcher"
  | "coordinator"
  | "field_officer";

export interface User {
  id: number;
  username: string;
  full_name: string;
  role: Role;
  language: string;
  agency: { id: number; code: string; name: string } | null;
  team_ids: number[];
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
  user: User;
}

export type Priority = "P1" | "P2" | "P3";

export type FieldAction = "accept" | "en_route" | "on_scene" | "resolve" | "return";

export interface CaseSummary {
  id: string;
  reference: string;
  category: { id: number; code: string; name: string };
  agency_id: number;
  team_id: number | null;
  priority: Priority | string;
  status: string;
  public_status?: string;
  lat: number;
  lon: number;
  address: string;
  landmark: string;
  area_name: string | null;
  description: string;
  created_at: string;
  accept_by: string;
  arrive_by: string;
  resolve_by: string;
  overdue: boolean;
  version: number;
  team_name?: string | null;
  agency_name?: string;
  overdue_stages?: string[];
}

export interface TimelineEvent {
  id: number;
  kind: string;
  from_status: string | null;
  to_status: string | null;
  at: string;
  actor_name: string | null;
  note: string;
  data?: Record<string, unknown>;
  /** Shown on the phone for an action still in the outbox. */
  pending?: boolean;
}

export interface CasePhoto {
  id: string;
  thumb_url: string;
  display_url: string;
  caption: string;
}

export interface CaseDetail extends CaseSummary {
  timeline: TimelineEvent[];
  photos: CasePhoto[];
  /** What the caller may do now, as the server sees it (absent in older cached copies). */
  actions?: string[];
}

export interface CasePage {
  items: CaseSummary[];
  next_cursor: string | null;
}

export interface AppConfig {
  city: { code: string; name: string; timezone: string; center: [number, number] };
  map: { tile_url: string; attribution: string; max_zoom: number };
  push: { public_key: string | null };
}

export interface Team {
  id: number;
  agency_id: number;
  name: string;
  on_duty: boolean;
}
