/**
 * Area warnings in the PWA (docs/warnings.md, "In the PWA"): the list (`/warnings`: drafts
 * awaiting approval, warnings in force), one warning (`/warnings/<id>`: its words in both
 * languages, its area on a map, approve / withdraw / change a draft, update / cancel one in
 * force, its CAP XML) and the draft form (`/warnings/new`). For supervisors and BPBD's
 * coordinators; anyone else is told the screen is not theirs. The API checks every step again.
 */
import "./warnings.css";
import "./words";
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../lib/api";
import { formatTime, t } from "../lib/i18n";
import { issuesWarnings } from "../lib/router";
import { api } from "../lib/session";
import { useStore } from "../lib/store";
import { app } from "../shell/state";
import { NotForRole, PageTitle, useLanguage } from "../shell/ui";
import { FormError } from "../ui/form-field";
import { Lineage, StateChip } from "./chips";
import { capWord, type StaffWarning } from "./data";
import { WarningDetail } from "./detail";
import { WarningForm } from "./form";

/** `id`: a warning's number, `new` (the form) or nothing (the list). */
export function WarningsScreen({ id }: { id?: string }) {
  useLanguage();
  const s = useStore(app);
  const user = s.session?.user;
  if (!user || !issuesWarnings(user)) {
    return <NotForRole title={t("warn.title")} body={t("warn.not_allowed")} />;
  }
  if (id === "new") return <NewWarning />;
  if (id) return <WarningDetail key={id} id={Number(id)} me={user.id} />;
  return <WarningList />;
}

/** `/warnings/new`, or `/warnings/new?update=12` / `?redraft=13` (prefilled from that one). */
function NewWarning() {
  const params = new URLSearchParams(location.search);
  const update = Number(params.get("update")) || null;
  const redraft = Number(params.get("redraft")) || null;
  const [from, setFrom] = useState<StaffWarning | null | undefined>(
    update || redraft ? undefined : null,
  );
  useEffect(() => {
    const which = update ?? redraft;
    if (!which) return;
    void api
      .request<StaffWarning>(`/api/warnings/${which}`)
      .then(setFrom)
      .catch(() => setFrom(null));
  }, [update, redraft]);
  if (from === undefined) return <p class="loading">{t("app.loading")}</p>;
  const mode = from && update ? "update" : from && redraft ? "redraft" : "new";
  return <WarningForm mode={mode} from={from} />;
}

function useWarnings(): [StaffWarning[] | null, string] {
  const [list, setList] = useState<StaffWarning[] | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    void api
      .request<StaffWarning[]>("/api/warnings")
      .then(setList)
      .catch((e: unknown) => setError(e instanceof ApiError ? e.detail : t("error.network")));
  }, []);
  return [list, error];
}

function WarningCard({ w, changes }: { w: StaffWarning; changes: StaffWarning[] }) {
  const title = useLanguage() === "en" ? w.headline_en : w.headline_id;
  return (
    <li class="card warn-card" data-testid="warning-card" data-warning={w.id}>
      <div class="row wrap">
        <StateChip w={w} />
        <span class="badge">{capWord("msg", w.msg_type)}</span>
        <span class={`badge warn-sev warn-sev-${w.severity}`}>{capWord("sev", w.severity)}</span>
      </div>
      <h3>
        <a href={`/warnings/${w.id}`}>
          <span class="visually-hidden">{t("warn.number", { id: w.id })}: </span>
          {title}
        </a>
      </h3>
      <p class="muted">{t("warn.area", { area: w.area_desc })}</p>
      {w.status === "draft" ? (
        <p>{t("warn.drafted_by", { name: w.drafted_by_name, time: formatTime(w.drafted_at) })}</p>
      ) : (
        <p>{t("warn.until", { time: formatTime(w.expires_at) })}</p>
      )}
      <Lineage w={w} />
      {changes.map((c) => (
        <p key={c.id} class="warn-lineage">
          <a href={`/warnings/${c.id}`}>{t("warn.pending_change", { id: c.id })}</a>
        </p>
      ))}
    </li>
  );
}

function WarningList() {
  const [list, error] = useWarnings();
  const drafts = (list ?? []).filter((w) => w.status === "draft");
  const inForce = (list ?? []).filter((w) => w.status === "published");
  const changesOf = (w: StaffWarning) => drafts.filter((d) => d.references_id === w.id);
  return (
    <section class="screen console warn-screen" data-testid="warnings">
      <div class="row between wrap">
        <PageTitle>{t("warn.title")}</PageTitle>
        <a class="btn btn-primary" href="/warnings/new" data-testid="warning-new">
          {t("warn.new")}
        </a>
      </div>
      <FormError text={error} />
      {list === null && !error ? (
        <p class="loading">{t("app.loading")}</p>
      ) : (
        <>
          <h2>{t("warn.drafts")}</h2>
          {drafts.length ? (
            <ul class="warn-list" data-testid="warning-drafts">
              {drafts.map((w) => (
                <WarningCard key={w.id} w={w} changes={[]} />
              ))}
            </ul>
          ) : (
            <p class="muted" data-testid="warning-drafts-empty">
              {t("warn.drafts_empty")}
            </p>
          )}
          <h2>{t("warn.in_force")}</h2>
          {inForce.length ? (
            <ul class="warn-list" data-testid="warning-in-force">
              {inForce.map((w) => (
                <WarningCard key={w.id} w={w} changes={changesOf(w)} />
              ))}
            </ul>
          ) : (
            <p class="muted" data-testid="warning-in-force-empty">
              {t("warn.in_force_empty")}
            </p>
          )}
        </>
      )}
    </section>
  );
}
