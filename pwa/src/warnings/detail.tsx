/**
 * One area warning (`/warnings/<id>`, docs/warnings.md): its words in both languages, its area
 * on a map, approve / withdraw / change a draft, update / cancel one in force, its CAP XML.
 */
import "./words";
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../lib/api";
import { formatTime, t } from "../lib/i18n";
import { navigate } from "../lib/router";
import { api } from "../lib/session";
import { useStore } from "../lib/store";
import { app, showToast } from "../shell/state";
import { PageTitle, useLanguage } from "../shell/ui";
import { FormError } from "../ui/form-field";
import { useFormProblem } from "../ui/form-problem";
import { AreaShown } from "./area-map";
import { Lineage, StateChip } from "./chips";
import { capWord, type StaffWarning, stateOf } from "./data";
import { Text } from "./fields";

export function WarningDetail({ id, me }: { id: number; me: number }) {
  const lang = useLanguage();
  const s = useStore(app);
  const [w, setW] = useState<StaffWarning | null>(null);
  const [loadError, setLoadError] = useState("");
  const action = useFormProblem([]);
  useEffect(() => {
    void api
      .request<StaffWarning>(`/api/warnings/${id}`)
      .then(setW)
      .catch((e: unknown) =>
        setLoadError(
          e instanceof ApiError && e.status === 404
            ? t("warn.not_found")
            : t("warn.load_failed", {
                detail: e instanceof ApiError ? e.detail : t("error.network"),
              }),
        ),
      );
  }, [id]);

  if (loadError) {
    return (
      <section class="screen warn-screen" data-testid="warning-detail">
        <PageTitle>{t("warn.number", { id })}</PageTitle>
        <FormError text={loadError} testid="warning-load-error" />
        <a href="/warnings">{t("warn.back")}</a>
      </section>
    );
  }
  if (!w) return <p class="loading">{t("app.loading")}</p>;

  const act = (verb: "approve" | "withdraw", done: "warn.approved" | "warn.withdrawn") =>
    void action.run(async () => {
      await api.request(`/api/warnings/${w.id}/${verb}`, { method: "POST" });
      // Read it again as the staff see it (with who approved it, and when).
      setW(await api.request<StaffWarning>(`/api/warnings/${w.id}`));
      showToast(done);
    });
  const actionButton = (verb: "approve" | "withdraw", cls: string) => (
    <button
      type="button"
      class={`btn ${cls}`}
      disabled={action.busy}
      onClick={() => act(verb, verb === "approve" ? "warn.approved" : "warn.withdrawn")}
    >
      {t(verb === "approve" ? "warn.approve" : "warn.withdraw")}
    </button>
  );
  const mine = w.drafted_by === me;
  const inForce = w.status === "published" && w.msg_type !== "Cancel" && stateOf(w) !== "expired";
  const config = s.config;
  const center: [number, number] = config?.city.center
    ? [config.city.center[0], config.city.center[1]]
    : [-3.99, 122.51];

  return (
    <section class="screen console warn-screen" data-testid="warning-detail" data-warning={w.id}>
      <p>
        <a href="/warnings">{t("warn.back")}</a>
      </p>
      <PageTitle>{lang === "en" ? w.headline_en : w.headline_id}</PageTitle>
      <div class="row wrap">
        <StateChip w={w} />
        <span class="badge" data-testid="warning-msg-type">
          {capWord("msg", w.msg_type)}
        </span>
        <span class="muted">{t("warn.number", { id: w.id })}</span>
      </div>
      <Lineage w={w} />
      <dl class="warn-facts">
        <dt>{t("warn.category")}</dt>
        <dd>{capWord("cat", w.category)}</dd>
        <dt>{t("warn.severity")}</dt>
        <dd>{capWord("sev", w.severity)}</dd>
        <dt>{t("warn.urgency")}</dt>
        <dd>{capWord("urg", w.urgency)}</dd>
        <dt>{t("warn.certainty")}</dt>
        <dd>{capWord("cer", w.certainty)}</dd>
        <dt>{t("warn.expires")}</dt>
        <dd>{formatTime(w.expires_at)}</dd>
      </dl>
      <p>{t("warn.drafted_by", { name: w.drafted_by_name, time: formatTime(w.drafted_at) })}</p>
      {w.published_at && (
        <p>
          {w.approved_by_name
            ? t("warn.approved_by", { name: w.approved_by_name, time: formatTime(w.published_at) })
            : t("warn.published", { time: formatTime(w.published_at) })}
        </p>
      )}
      <div class="warn-pair">
        {(["id", "en"] as const).map((k) => (
          <Words key={k} w={w} lang={k} />
        ))}
      </div>
      <h2>{t("warn.area_title")}</h2>
      <p>{w.area_desc}</p>
      {config && <AreaShown tiles={config.map} center={center} area={w.area} />}
      {w.published_at && (
        <p>
          <a href={`/api/cap/${w.id}.xml`} data-testid="warning-cap" type="application/cap+xml">
            {t("warn.cap")}
          </a>
        </p>
      )}
      <FormError text={action.problem.general} testid="warning-action-error" />
      {w.status === "draft" && (
        <div class="row wrap warn-actions">
          {mine ? (
            <p class="note" data-testid="warning-approve-note">
              {t("warn.approve_note")}
            </p>
          ) : (
            actionButton("approve", "btn-primary")
          )}
          {w.msg_type !== "Cancel" && (
            <a class="btn btn-secondary" href={`/warnings/new?redraft=${w.id}`}>
              {t("warn.edit")}
            </a>
          )}
          {actionButton("withdraw", "btn-outline-danger")}
        </div>
      )}
      {inForce && (
        <>
          <div class="row wrap warn-actions">
            <a
              class="btn btn-secondary"
              href={`/warnings/new?update=${w.id}`}
              data-testid="warning-update"
            >
              {t("warn.update")}
            </a>
          </div>
          <CancelForm w={w} />
        </>
      )}
    </section>
  );
}

/** The words people read, in one language. */
function Words({ w, lang }: { w: StaffWarning; lang: "id" | "en" }) {
  const en = lang === "en";
  return (
    <section class="card warn-words" lang={lang} data-testid={`warning-words-${lang}`}>
      <h2>{t(en ? "warn.lang_en" : "warn.lang_id")}</h2>
      <p>
        <strong>{en ? w.event_en : w.event_id}</strong>
      </p>
      <p>{en ? w.headline_en : w.headline_id}</p>
      <p>{en ? w.instruction_en : w.instruction_id}</p>
    </section>
  );
}

/** The all-clear: a draft `Cancel` with the words people read, then someone else approves it. */
function CancelForm({ w }: { w: StaffWarning }) {
  const [words, setWords] = useState({ id: "", en: "" });
  const { busy, problem, run } = useFormProblem(["instruction.id", "instruction.en"]);
  const save = () =>
    void run(async () => {
      const made = await api.request<StaffWarning>(`/api/warnings/${w.id}/cancel`, {
        json: { instruction: words },
      });
      showToast("warn.saved");
      navigate(`/warnings/${made.id}`);
    });
  return (
    <form
      class="card warn-cancel"
      data-testid="warning-cancel-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
    >
      <h2>{t("warn.cancel_title")}</h2>
      <p class="muted">{t("warn.cancel_hint")}</p>
      {(["id", "en"] as const).map((k) => (
        <Text
          key={k}
          id={`w-cancel-${k}`}
          label={t(k === "id" ? "warn.cancel_id" : "warn.cancel_en")}
          value={words[k]}
          onValue={(value) => setWords((old) => ({ ...old, [k]: value }))}
          error={problem.fields[`instruction.${k}`]}
          lang={k}
          long
        />
      ))}
      <FormError text={problem.general} />
      <button type="submit" class="btn btn-danger" disabled={busy}>
        {t("warn.cancel_submit")}
      </button>
    </form>
  );
}
