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
import { AdminTable, OnceNotice, RowButton } from "./table";

type ApiKey = Schema<"KeyOut">;

const when = (at: string | null) => (at ? formatTime(at) : "—");

export function KeysScreen() {
  const keys = useList<ApiKey>("/api/admin/open311-keys");
  const [issued, setIssued] = useState("");
  const action = useAction(keys.reload);
  const form = useCheckedForm({ name: "" });

  const submit = () =>
    form.run(async () => {
      const key = await send<Schema<"IssuedKeyOut">>("/api/admin/open311-keys", "POST", {
        name: form.values.name.trim(),
      });
      setIssued(t("admin.key.issued", { name: key.name, key: key.api_key }));
      form.reset();
      await keys.reload();
    });
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
        cols={[
          ["admin.key.holder", (k) => k.name],
          ["admin.key.prefix", (k) => k.key_prefix],
          ["admin.key.created", (k) => when(k.created_at)],
          ["admin.key.last_used", (k) => when(k.last_used_at)],
          ["admin.col.status", (k) => (k.revoked_at ? t("admin.key.revoked") : t("admin.active"))],
        ]}
        actions={(k) =>
          k.revoked_at ? null : (
            <RowButton danger testid={`key-revoke-${k.name}`} onClick={() => revoke(k)}>
              {t("admin.key.revoke", { name: k.name })}
            </RowButton>
          )
        }
      />
      <CheckedForm
        id="key-new"
        title={t("admin.key.new")}
        submit={t("admin.key.issue")}
        state={form}
        onSubmit={submit}
        fields={[{ name: "name", label: t("admin.key.holder") }]}
      />
    </>
  );
}
