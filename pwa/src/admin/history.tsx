/**
 * History: every admin change, newest first (who, when, what, and the fields it changed from and
 * to), from the append-only audit record. A filter by kind of record, and older pages on demand.
 */
import { useEffect, useState } from "preact/hooks";
import type { Schema } from "../lib/api-types";
import { formatTime, getLanguage, hasKey, type Key, t } from "../lib/i18n";
import { ErrorText } from "../ui/room-table";
import type { AuditEntry, AuditPage } from "./contract";
import { loadError, send } from "./data";
import { AdminFilters, AdminTable } from "./table";

type Entity = Schema<"AuditEntry">["entity"];

/**
 * Every kind of record, in the console's order: a key per kind of the generated schema, so a kind
 * the API adds and this list lacks (or one it drops) is a type error, and each has its word.
 */
const ENTITIES = Object.keys({
  user: 1,
  agency: 1,
  team: 1,
  category: 1,
  area: 1,
  routing_rule: 1,
  open311_key: 1,
  place: 1,
  neighbour_area: 1,
  case_handoff: 1,
  area_warning: 1,
} satisfies Record<Entity, 1>) as Entity[];

const entityWord = (x: Entity) => t(`admin.audit.entity.${x}` satisfies Key);
const entityOptions = () => ENTITIES.map((x) => ({ value: x, label: entityWord(x) }));

const word = (prefix: string, code: string) => {
  const key = `${prefix}.${code}`;
  return hasKey(key) ? t(key) : "—";
};

/** Value words that are codes in the record: a role, an agency's kind. */
const CODED: Record<string, string> = { role: "role", kind: "admin.kind" };

/** A recorded value in words: yes/no, a role's name, a shape said as such, never raw JSON. */
function shown(field: string, v: unknown): string {
  if (v === null || v === undefined || v === "") return "—";
  if (typeof v === "boolean") return t(v ? "admin.audit.yes" : "admin.audit.no");
  if (field === "attributes" && Array.isArray(v))
    return v.length ? v.map(question).join("; ") : "—";
  if (Array.isArray(v)) return v.length ? v.map((x) => shown(field, x)).join(", ") : "—";
  // A boundary is kept as GeoJSON (an object or its text): the map shows it, words cannot.
  if (typeof v === "object" || field === "boundary") return t("admin.audit.shape");
  if (field in CODED) return word(CODED[field], String(v));
  if (field.endsWith("_at")) return formatTime(String(v));
  return String(v);
}

/** An extra question (Open311 attribute) by its wording in the language shown, else its code. */
function question(q: unknown): string {
  const asked = (q ?? {}) as Record<string, unknown>;
  const wording = asked[`description_${getLanguage()}`] ?? asked.description ?? asked.code;
  return typeof wording === "string" && wording ? wording : "—";
}

/** The fields a change touched: "Name: old → new", one per line, each field named in words. */
function changes(e: AuditEntry): string[] {
  const before = e.before ?? {};
  const after = e.after ?? {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return keys
    .filter((k) => JSON.stringify(before[k] ?? null) !== JSON.stringify(after[k] ?? null))
    .map((k) => `${word("admin.field", k)}: ${shown(k, before[k])} → ${shown(k, after[k])}`);
}

export function HistoryScreen() {
  const [entity, setEntity] = useState("");
  const [items, setItems] = useState<AuditEntry[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [error, setError] = useState("");

  async function load(before: number | null) {
    setError("");
    const q = new URLSearchParams();
    if (entity) q.set("entity", entity);
    if (before !== null) q.set("before", String(before));
    try {
      const page = await send<AuditPage>(`/api/admin/audit?${q}`, "GET");
      setItems(before === null ? page.items : [...items, ...page.items]);
      setNext(page.next_before);
    } catch (err) {
      setError(loadError(err));
    }
  }
  useEffect(() => {
    void load(null);
  }, [entity]);

  return (
    <>
      <p class="muted">{t("admin.audit.intro")}</p>
      <AdminFilters
        form="audit"
        values={{ entity }}
        onValue={(_, value) => setEntity(value)}
        filters={[{ name: "entity", label: t("admin.audit.entity"), options: entityOptions() }]}
      />
      <ErrorText error={error} />
      <AdminTable
        id="audit"
        title={t("admin.nav.history")}
        rows={items}
        cols={[
          ["admin.audit.at", (e) => formatTime(e.at)],
          ["admin.audit.actor", (e) => e.actor_name ?? "—"],
          ["admin.audit.action", (e) => word("admin.audit.action", e.action)],
          ["admin.audit.entity", (e) => `${entityWord(e.entity)} #${e.entity_id}`],
          [
            "admin.audit.changes",
            (e) => (
              <ul class="admin-changes">
                {changes(e).map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            ),
          ],
        ]}
      />
      {next !== null && (
        <button type="button" class="btn btn-secondary" onClick={() => load(next)}>
          {t("admin.audit.older")}
        </button>
      )}
    </>
  );
}
