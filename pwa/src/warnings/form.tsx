/**
 * The draft form: a new warning, an update of one in force (CAP `Update`, prefilled), or a
 * changed draft (a draft cannot be edited in place: a new draft is saved, then the old one is
 * withdrawn). The area is kecamatan picked from the city's list or a polygon drawn on the map.
 * Nothing is checked here: the API's problem details are shown beside the field they name.
 */
import { useState } from "preact/hooks";
import { t } from "../lib/i18n";
import { navigate } from "../lib/router";
import { api } from "../lib/session";
import { useStore } from "../lib/store";
import { app, showToast } from "../shell/state";
import { PageTitle } from "../shell/ui";
import { FormError } from "../ui/form-field";
import { useFormProblem } from "../ui/form-problem";
import { AreaDrawn, AreaShown } from "./area-map";
import {
  CATEGORIES,
  CERTAINTIES,
  isoFromInput,
  SEVERITIES,
  type StaffWarning,
  URGENCIES,
  type WarningIn,
} from "./data";
import { Choice, Pair, Text } from "./fields";
import { initial, useKecamatan, type Values } from "./form-values";

// The CAP scales, each a select of words: the field's name, its codes, its words' prefix.
const SCALES = [
  ["severity", SEVERITIES, "sev"],
  ["urgency", URGENCIES, "urg"],
  ["certainty", CERTAINTIES, "cer"],
] as const;

// How the area is given: kept as it is (a changed draft or an update), picked, or drawn.
const WAYS = ["keep", "pick", "draw"] as const;
type How = (typeof WAYS)[number];

const FIELDS = [
  "category",
  "event.id",
  "event.en",
  "severity",
  "urgency",
  "certainty",
  "headline.id",
  "headline.en",
  "instruction.id",
  "instruction.en",
  "expires_at",
  "area_ids",
  "polygon",
] as const;
/** `mode`: a new warning; `update` of `from` (in force); `redraft` of `from` (a draft). */
export function WarningForm(p: { mode: "new" | "update" | "redraft"; from: StaffWarning | null }) {
  const s = useStore(app);
  const config = s.config;
  const from = p.from;
  const [v, setV] = useState<Values>(() => initial(from));
  // A changed draft keeps its area exactly by default (a draft re-issued from an incoming CAP
  // alert has a drawn one); an update starts from the kecamatan, the usual city warning.
  const [how, setHow] = useState<How>(p.mode === "redraft" ? "keep" : "pick");
  const [picked, setPicked] = useState<number[]>(from ? [...from.area_ids] : []);
  const [corners, setCorners] = useState<[number, number][]>([]);
  const kecamatan = useKecamatan();
  const { busy, problem, run } = useFormProblem(FIELDS);
  const set = (k: keyof Values) => (value: string) => setV((old) => ({ ...old, [k]: value }));
  const err = (k: string) => problem.fields[k];

  function body(): WarningIn {
    const ring = corners.map(([lat, lon]) => [lon, lat]);
    const polygon =
      how === "keep" && from
        ? from.area
        : how === "draw" && ring.length >= 3
          ? { type: "Polygon", coordinates: [[...ring, ring[0]]] }
          : null;
    return {
      category: v.category as WarningIn["category"],
      severity: v.severity as WarningIn["severity"],
      urgency: v.urgency as WarningIn["urgency"],
      certainty: v.certainty as WarningIn["certainty"],
      event: { id: v.event_id, en: v.event_en },
      headline: { id: v.headline_id, en: v.headline_en },
      instruction: { id: v.instruction_id, en: v.instruction_en },
      expires_at: isoFromInput(v.expires),
      area_ids: how === "pick" ? picked : [],
      polygon,
    };
  }

  async function save() {
    await run(async () => {
      const path =
        p.mode === "update" && from
          ? `/api/warnings/${from.id}/update`
          : p.mode === "redraft" && from?.msg_type === "Update" && from.references_id
            ? `/api/warnings/${from.references_id}/update`
            : "/api/warnings";
      const made = await api.request<StaffWarning>(path, { json: body() });
      if (p.mode === "redraft" && from) {
        await api.request(`/api/warnings/${from.id}/withdraw`, { method: "POST" });
      }
      showToast("warn.saved");
      navigate(`/warnings/${made.id}`);
    });
  }

  const title =
    p.mode === "update" && from
      ? t("warn.form_update", { id: from.id })
      : p.mode === "redraft" && from
        ? t("warn.form_redraft", { id: from.id })
        : t("warn.form_new");
  const center: [number, number] = config?.city.center
    ? [config.city.center[0], config.city.center[1]]
    : [-3.99, 122.51];
  const areaError = err("area_ids") || err("polygon");

  return (
    <section class="screen console warn-screen" data-testid="warning-form">
      <PageTitle>{title}</PageTitle>
      <p class="muted">
        {p.mode === "redraft" && from
          ? t("warn.redraft_hint", { id: from.id })
          : t("warn.form_hint")}
      </p>
      <form
        class="warn-form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <Choice
          id="w-category"
          label={t("warn.category")}
          value={v.category}
          onValue={set("category")}
          codes={CATEGORIES}
          words="cat"
          error={err("category")}
        />
        <Pair name="event" v={v} set={set} err={err} />
        <div class="warn-triple">
          {SCALES.map(([name, codes, words]) => (
            <Choice
              key={name}
              id={`w-${name}`}
              label={t(`warn.${name}`)}
              value={v[name]}
              onValue={set(name)}
              codes={codes}
              words={words}
              error={err(name)}
            />
          ))}
        </div>
        <Pair name="headline" v={v} set={set} err={err} />
        <Pair name="instruction" v={v} set={set} err={err} long />
        <Text
          id="w-expires"
          label={t("warn.expires")}
          hint={t("warn.expires_hint")}
          value={v.expires}
          onValue={set("expires")}
          error={err("expires_at")}
          type="datetime-local"
        />
        <fieldset class="warn-area" aria-describedby={areaError ? "w-area-error" : undefined}>
          <legend>{t("warn.area_title")}</legend>
          <div class="row wrap">
            {(from ? WAYS : WAYS.slice(1)).map((way) => (
              <label key={way} class="radio">
                <input
                  type="radio"
                  name="w-how"
                  checked={how === way}
                  onChange={() => setHow(way)}
                />
                {t(`warn.area_${way}`)}
              </label>
            ))}
          </div>
          {how === "keep" && from ? (
            <div>
              <p class="muted">{t("warn.area_keep_hint", { area: from.area_desc })}</p>
              {config && <AreaShown tiles={config.map} center={center} area={from.area} />}
            </div>
          ) : how === "pick" ? (
            kecamatan === null ? (
              <p class="muted">{t("warn.area_loading")}</p>
            ) : (
              <ul
                class="warn-kecamatan"
                aria-label={t("warn.area_kecamatan")}
                data-testid="warning-kecamatan"
              >
                {kecamatan.map((k) => (
                  <li key={k.id}>
                    <label>
                      <input
                        type="checkbox"
                        checked={picked.includes(k.id)}
                        onChange={(e) => {
                          const on = e.currentTarget.checked;
                          setPicked((old) => (on ? [...old, k.id] : old.filter((x) => x !== k.id)));
                        }}
                      />
                      {k.name}
                    </label>
                  </li>
                ))}
              </ul>
            )
          ) : (
            <div>
              <p class="muted">{t("warn.draw_hint")}</p>
              {config && (
                <AreaDrawn
                  tiles={config.map}
                  center={center}
                  corners={corners}
                  onChange={setCorners}
                />
              )}
              <div class="row wrap">
                <span role="status" data-testid="draw-count">
                  {t("warn.draw_points", { n: corners.length })}
                </span>
                <button
                  type="button"
                  class="btn btn-secondary"
                  disabled={!corners.length}
                  onClick={() => setCorners((c) => c.slice(0, -1))}
                >
                  {t("warn.draw_undo")}
                </button>
                <button
                  type="button"
                  class="btn btn-secondary"
                  disabled={!corners.length}
                  onClick={() => setCorners([])}
                >
                  {t("warn.draw_clear")}
                </button>
              </div>
            </div>
          )}
          {areaError && (
            <p class="error" role="alert" id="w-area-error" data-testid="error-area">
              {areaError}
            </p>
          )}
        </fieldset>
        <FormError text={problem.general} testid="warning-form-error" />
        <div class="row wrap">
          <button type="submit" class="btn btn-primary" disabled={busy}>
            {p.mode === "update" ? t("warn.submit_update") : t("warn.submit")}
          </button>
          <a class="btn btn-secondary" href={from ? `/warnings/${from.id}` : "/warnings"}>
            {t("warn.cancel_form")}
          </a>
        </div>
      </form>
    </section>
  );
}
