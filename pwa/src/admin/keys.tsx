/**
 * Open311 keys: the keys issued (holder, prefix, when made and last used, revoked or not), a form
 * to issue one for a named holder (the key itself is shown this once: only its hash is kept), and
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

const COLUMNS: Column<ApiKey>[] = [
  ["admin.key.holder", (k) => k.name],
  ["admin.key.prefix", (k) => k.key_prefix],
  ["admin.key.created", (k) => when(k.created_at)],
  ["admin.key.last_used", (k) => when(k.last_used_at)],
  ["admin.col.status", (k) => (k.revoked_at ? t("admin.key.revoked") : t("admin.active"))],
];

export function KeysScreen() {
  const keys = useList<ApiKey>("/api/admin/open311-keys");
  const [issued, setIssued] = useState("");
  const action = useAction(keys.reload);
  const form = useCheckedForm(
    "key-new",
    { name: "" },
    {
      save: async (v) => {
        const body = { name: v.name.trim() };
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

  return (
    <>
      <p class="muted">{t("admin.key.intro")}</p>
      <ErrorText error={keys.error || action.error} />
      <OnceNotice text={issued} testid="key-issued" />
      <AdminTable
        id="keys"
        title={t("admin.nav.keys")}
        rows={keys.rows ?? []}
        cols={COLUMNS}
        actions={(k) =>
          k.revoked_at ? null : (
            <RowButton danger testid={`key-revoke-${k.name}`} onClick={() => revoke(k)}>
              {t("admin.key.revoke", { name: k.name })}
            </RowButton>
          )
        }
      />
      <CheckedForm
        form={form}
        title={t("admin.key.new")}
        button={t("admin.key.issue")}
        fields={[{ name: "name", label: t("admin.key.holder") }]}
      />
    </>
  );
}
