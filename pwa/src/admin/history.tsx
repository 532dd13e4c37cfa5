/**
 * History: every admin change, newest first (who, when, what, and the fields it changed from and
 * to), from the append-only audit record. A filter by kind of record, and older pages on demand.
 */
import { useEffect, useState } from "preact/hooks";
import { formatTime, hasKey, t } from "../lib/i18n";
import { ErrorText } from "../ui/room-table";
import type { AuditEntry, AuditPage } from "./contract";
import { loadError, send } from "./data";
import { AdminFilters, AdminTable } from "./table";

const ENTITIES = [
  "user",
  "agency",
  "team",
  "category",
  "area",
  "routing_rule",
  "open311_key",
  "place",
];

const entityOptions = () =>
  ENTITIES.map((x) => ({ value: x, label: word("admin.audit.entity", x) }));

const word = (prefix: string, code: string) => {
  const key = `${prefix}.${code}`;
  return hasKey(key) ? t(key) : "—";
};

const shown = (v: unknown) =>
  v === null || v === undefined ? "—" : typeof v === "object" ? JSON.stringify(v) : String(v);

/** The fields a change touched: "name: old → new", one per line. */
function changes(e: AuditEntry): string[] {
  const before = e.before ?? {};
  const after = e.after ?? {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return keys
    .filter((k) => shown(before[k]) !== shown(after[k]))
    .map((k) => `${k}: ${shown(before[k])} → ${shown(after[k])}`);
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
          ["admin.audit.entity", (e) => `${word("admin.audit.entity", e.entity)} #${e.entity_id}`],
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
