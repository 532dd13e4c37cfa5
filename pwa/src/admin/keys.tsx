/**
 * Open311 keys: the keys issued (holder, prefix, request limit, when made and last used, revoked
 * or not), a form to issue one for a named holder with its own request limit or the city default
 * (the key itself is shown this once: only its hash is kept), changing a key's limit, and
 * revoking one (its next request is refused).
 */
import { useState } from "preact/hooks";
import type { Schema } from "../lib/api-types";
import { formatTime, t } from "../lib/i18n";
import { CheckedForm, useCheckedForm } from "../ui/checked-field";
import { ErrorText } from "../ui/room-table";
import { send, useAction, useList } from "./data";
import { AdminTable, type Column, OnceNotice, RowButton } from "./table";

type ApiKey = Schema<"KeyOut">;

const when = (at: string | null) => (at ? formatTime(at) : "—");

/** A key's own limit, or the city default it falls back to. */
const limitOf = (k: ApiKey) =>
  k.requests_limit === null ? t("admin.key.limit_default", { n: k.limit }) : String(k.limit);

const COLUMNS: Column<ApiKey>[] = [
  ["admin.key.holder", (k) => k.name],
  ["admin.key.prefix", (k) => k.key_prefix],
  ["admin.key.limit", limitOf, true],
  ["admin.key.created", (k) => when(k.created_at)],
  ["admin.key.last_used", (k) => when(k.last_used_at)],
  ["admin.col.status", (k) => (k.revoked_at ? t("admin.key.revoked") : t("admin.active"))],
];

/** A limit from its input: empty is the city default (null); anything else goes to the API to judge. */
const limitValue = (v: string): number | null => (v.trim() === "" ? null : Number(v));

const limitField = () =>
  ({ name: "requests_limit", label: t("admin.key.limit_input"), kind: "number" }) as const;

/** Change one key's request limit (empty: the city default). */
function LimitForm(p: { apiKey: ApiKey; done: (saved: ApiKey) => void }) {
  const form = useCheckedForm(
    "key-limit",
    { requests_limit: "" },
    {
      initial: { requests_limit: p.apiKey.requests_limit?.toString() ?? "" },
      save: async (v) => {
        const body = { requests_limit: limitValue(v.requests_limit) };
        p.done(await send<ApiKey>(`/api/admin/open311-keys/${p.apiKey.id}`, "PATCH", body));
      },
    },
  );
  return (
    <CheckedForm
      form={form}
      title={t("admin.key.limit_title", { name: p.apiKey.name })}
      button={t("admin.save")}
      fields={[limitField()]}
    />
  );
}

export function KeysScreen() {
  const keys = useList<ApiKey>("/api/admin/open311-keys");
  const [issued, setIssued] = useState("");
  const [editing, setEditing] = useState<ApiKey | null>(null);
  const action = useAction(keys.reload);
  const form = useCheckedForm(
    "key-new",
    { name: "", requests_limit: "" },
    {
      save: async (v) => {
        const body = { name: v.name.trim(), requests_limit: limitValue(v.requests_limit) };
        const key = await send<Schema<"IssuedKeyOut">>("/api/admin/open311-keys", "POST", body);
        setIssued(t("admin.key.issued", { name: key.name, key: key.api_key }));
        form.reset();
        await keys.reload();
      },
    },
  );
  const revoke = (key: ApiKey) => {
    setIssued("");
    return action.act(() => send<ApiKey>(`/api/admin/open311-keys/${key.id}`, "DELETE"));
  };
  const limited = async (key: ApiKey) => {
    setEditing(null);
    setIssued(t("admin.key.limit_saved", { name: key.name }));
    await keys.reload();
  };
  const window = keys.rows?.[0]?.window_minutes;

  return (
    <>
      <p class="muted">{t("admin.key.intro")}</p>
      {window !== undefined && <p class="muted">{t("admin.key.limit_window", { m: window })}</p>}
      <ErrorText error={keys.error || action.error} />
      <OnceNotice text={issued} testid="key-issued" />
      <AdminTable
        id="keys"
        title={t("admin.nav.keys")}
        rows={keys.rows ?? []}
        cols={COLUMNS}
        actions={(k) =>
          k.revoked_at ? null : (
            <>
              <RowButton
                testid={`key-limit-${k.name}`}
                expanded={editing?.id === k.id}
                onClick={() => setEditing(editing?.id === k.id ? null : k)}
              >
                {t("admin.key.limit_edit", { name: k.name })}
              </RowButton>
              <RowButton danger testid={`key-revoke-${k.name}`} onClick={() => revoke(k)}>
                {t("admin.key.revoke", { name: k.name })}
              </RowButton>
            </>
          )
        }
      />
      {editing && <LimitForm key={editing.id} apiKey={editing} done={limited} />}
      <CheckedForm
        form={form}
        title={t("admin.key.new")}
        button={t("admin.key.issue")}
        fields={[{ name: "name", label: t("admin.key.holder") }, limitField()]}
      />
    </>
  );
}
