/** History-API routing for a handful of screens; the API serves index.html for every deep link. */
import { useEffect, useState } from "preact/hooks";
import type { Schema } from "./api-types";

export type Route =
  | { name: "home" }
  | { name: "login" }
  | { name: "tasks" }
  | { name: "outbox" }
  | { name: "intake" }
  | { name: "dispatch" }
  | { name: "teams" }
  | { name: "case"; id: string }
  | { name: "dashboard" }
  | { name: "dashboard-cases" }
  | { name: "lapor" }
  | { name: "lacak"; reference: string | null }
  | { name: "menu" }
  | { name: "admin"; section?: AdminSection }
  | { name: "warnings"; id?: string }
  | { name: "unknown" };

/** The admin console's screens under `/admin/...` (`/admin` itself is the overview). */
export const ADMIN_SECTIONS = [
  "users",
  "agencies",
  "categories",
  "areas",
  "neighbours",
  "keys",
  "history",
] as const;
export type AdminSection = (typeof ADMIN_SECTIONS)[number];
const ADMIN = /^\/admin\/([a-z]+)$/;

// A warning (`/warnings/12`) or the form for a new one (`/warnings/new`).
const WARNING = /^\/warnings\/([1-9]\d{0,9}|new)$/;
const CASE = /^\/cases\/([0-9a-fA-F-]{36})\/?$/;
// Citizen tracking links (public, no sign-in): /lacak/KDI-2026-000123.
const LACAK = /^\/lacak\/([A-Za-z0-9-]{3,40})$/;

/** The screens whose address is their name (`/tasks`); the others are spelled out below. */
const NAMED = [
  "login",
  "tasks",
  "outbox",
  "intake",
  "dispatch",
  "teams",
  "dashboard",
  "lapor",
  "menu",
  "admin",
  "warnings",
] as const;

export function parseRoute(path: string): Route {
  const p = path.replace(/\/+$/, "") || "/";
  if (p === "/") return { name: "home" };
  if (p === "/dashboard/cases") return { name: "dashboard-cases" };
  if (p === "/lacak") return { name: "lacak", reference: null };
  const name = NAMED.find((n) => p === `/${n}`);
  if (name) return { name };
  const admin = ADMIN.exec(p);
  const section = ADMIN_SECTIONS.find((x) => x === admin?.[1]);
  if (section) return { name: "admin", section };
  const warning = WARNING.exec(p);
  if (warning) return { name: "warnings", id: warning[1] };
  const lacak = LACAK.exec(p);
  if (lacak) return { name: "lacak", reference: lacak[1].toUpperCase() };
  const m = CASE.exec(p);
  if (m) return { name: "case", id: m[1].toLowerCase() };
  return { name: "unknown" };
}

/**
 * A staff role, as the API's schema spells it (`UserIn.role`; the signed-in user's `Me.role` is
 * still a plain string in the generated types).
 */
export type Role = Schema<"UserIn">["role"];

/** Where each role starts its day after signing in: its main screen, never a menu. */
const LANDING: Record<Role, string> = {
  operator: "/intake",
  dispatcher: "/dispatch",
  coordinator: "/teams",
  field_officer: "/tasks",
  supervisor: "/dashboard",
  admin: "/admin",
};

export function landingFor(role: string | undefined): string {
  return (role && LANDING[role as Role]) || "/menu";
}

const CONTROL_ROOM: Role[] = ["operator", "dispatcher", "coordinator", "supervisor", "admin"];
/** The roles the statistics API answers (docs/stats.md). */
const STATS: Role[] = ["supervisor", "dispatcher", "coordinator", "admin"];
/**
 * The one role → screens table of the app: which roles each staff screen is for (the API checks
 * again; this keeps menus honest and each screen's own "not for your role" notice).
 */
const SCREEN_ROLES: Partial<Record<Route["name"], Role[]>> = {
  tasks: ["field_officer"],
  case: ["field_officer"],
  intake: ["operator", "dispatcher", "admin"],
  dispatch: CONTROL_ROOM,
  teams: ["coordinator", "admin"],
  dashboard: STATS,
  "dashboard-cases": STATS,
  admin: ["admin"],
  warnings: ["supervisor", "coordinator"], // BPBD's coordinators only: `issuesWarnings`
};

/** May a signed-in user of this role open this screen? (Outbox and menu: everyone.) */
export function mayOpen(role: string | undefined, route: Route | Route["name"]): boolean {
  if (!role) return false;
  const roles = SCREEN_ROLES[typeof route === "string" ? route : route.name];
  return roles ? roles.includes(role as Role) : true;
}

/** Area warnings are for supervisors and BPBD's coordinators only (api/domain/warnings.py). */
export function issuesWarnings(user: { role: string; agency: { code: string } | null }): boolean {
  return (
    mayOpen(user.role, "warnings") && (user.role !== "coordinator" || user.agency?.code === "BPBD")
  );
}

const listeners = new Set<() => void>();

export function navigate(path: string, replace = false): void {
  if (path === location.pathname + location.search) return;
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  for (const fn of listeners) fn();
  window.scrollTo(0, 0);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.pathname));
    listeners.add(update);
    window.addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      window.removeEventListener("popstate", update);
    };
  }, []);
  return route;
}

/** Same-origin links navigate in the app (no reload); modified clicks keep browser behaviour. */
export function onLinkClick(e: MouseEvent): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey)
    return;
  const a = (e.target as Element | null)?.closest?.("a");
  if (!a || a.target || a.hasAttribute("download") || a.origin !== location.origin) return;
  if (a.pathname.startsWith("/api/") || a.pathname.startsWith("/schema")) return;
  if (a.hash && a.pathname === location.pathname) return; // in-page anchors (skip link)
  e.preventDefault();
  navigate(a.pathname + a.search);
}
