/** Lacak: follow a report by its code; status, timeline, photos, push, rating or dispute. */
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "../lib/api";
import { formatTime, getLanguage, type Key, t } from "../lib/i18n";
import { enablePush, type PushOutcome } from "../lib/push";
import { api } from "../lib/session";
import { useStore } from "../lib/store";
import { app } from "../shell/state";
import { PageTitle, useLanguage } from "../shell/ui";
import { type Credentials, credentialsFor, type Tracked, track } from "./data";
import { Feedback } from "./lacak-feedback";
import { FindForm } from "./lacak-find";

const POLL_MS = 4000;

const PUSH_TEXT: Record<PushOutcome, Key> = {
  enabled: "citizen.push_on",
  unsupported: "citizen.push_unsupported",
  denied: "push.denied",
  timeout: "push.timeout",
  failed: "citizen.push_failed",
};

/** "Beri tahu saya": this phone follows the case by push, with the report's tracking token. */
function PushOptIn({ token }: { token: string }) {
  const s = useStore(app);
  const [push, setPush] = useState<PushOutcome | "">("");
  const [busy, setBusy] = useState(false);

  async function ask() {
    setBusy(true);
    const r = await enablePush(api, {
      language: getLanguage(),
      configKey: s.config?.push.public_key,
      trackingToken: token,
    });
    setPush(r.outcome);
    setBusy(false);
  }

  return (
    <div class="card">
      <button
        type="button"
        class="btn btn-secondary btn-block"
        onClick={() => void ask()}
        disabled={busy || push === "enabled"}
        data-testid="push-optin"
      >
        {t("citizen.push_button")}
      </button>
      <p role="status" class="small" data-testid="push-status">
        {push ? t(PUSH_TEXT[push]) : t("citizen.push_hint")}
      </p>
    </div>
  );
}

/**
 * The tracked report, polled while the page is visible (a status change shows within seconds).
 * `creds` is undefined while being read and null when this phone has none (or they were refused).
 */
function useTracked(reference: string | null) {
  const lang = useLanguage();
  const [creds, setCreds] = useState<Credentials | null | undefined>(undefined);
  const [data, setData] = useState<Tracked | null>(null);
  const [problem, setProblem] = useState("");
  const [stale, setStale] = useState(false);
  const [tick, setTick] = useState(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    if (!reference) return;
    const read = () => {
      setProblem("");
      void credentialsFor(reference).then((c) => setCreds(c ?? null));
    };
    read();
    window.addEventListener("citizen-credentials", read);
    return () => window.removeEventListener("citizen-credentials", read);
  }, [reference]);

  useEffect(() => {
    if (!reference || !creds) return;
    let alive = true;
    const load = async () => {
      if (timer.current) clearTimeout(timer.current);
      if (document.visibilityState === "visible") {
        try {
          const next = await track(reference, creds);
          if (!alive) return;
          setData(next);
          setStale(false);
        } catch (err) {
          if (!alive) return;
          if (err instanceof ApiError && err.status === 404) {
            setProblem(t("citizen.not_found"));
            setCreds(null);
            return;
          }
          setStale(true);
        }
      }
      if (alive) timer.current = setTimeout(() => void load(), POLL_MS);
    };
    void load();
    const onVisible = () => {
      if (document.visibilityState === "visible") void load();
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      alive = false;
      if (timer.current) clearTimeout(timer.current);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [reference, creds, lang, tick]);

  return { creds, data, problem, stale, reload: () => setTick((n) => n + 1) };
}

export function Lacak({ reference }: { reference: string | null }) {
  const { creds, data, problem, stale, reload } = useTracked(reference);
  const [disputed, setDisputed] = useState(false);

  if (!reference) return <FindForm initial="" />;
  if (creds === undefined) return <p class="loading">{t("app.loading")}</p>;
  if (creds === null) return <FindForm initial={reference} problem={problem} />;
  if (!data) {
    return (
      <section class="screen citizen">
        <PageTitle>{t("citizen.track_heading", { ref: reference })}</PageTitle>
        <p class="loading">{stale ? t("error.network") : t("app.loading")}</p>
      </section>
    );
  }

  return (
    <section class="screen citizen" data-testid="lacak-screen">
      <PageTitle>{t("citizen.track_heading", { ref: data.reference })}</PageTitle>
      <div
        class={`big-status status-${data.status}`}
        data-testid="public-status"
        data-status={data.status}
        role="status"
        aria-live="polite"
      >
        <span class="small">{t("citizen.status_label")}</span>
        <strong>{data.status_text}</strong>
      </div>
      {disputed && (
        <div class="notice" role="status" data-testid="dispute-confirmation">
          <strong>{t("citizen.dispute_sent")}</strong>
          <p>{t("citizen.dispute_sent_detail")}</p>
        </div>
      )}
      {stale && <p class="notice">{t("citizen.stale")}</p>}
      {data.merged_into && <p class="notice">{t("citizen.merged", { ref: data.merged_into })}</p>}
      <dl class="facts">
        <dt>{t("citizen.category")}</dt>
        <dd>{data.category.name}</dd>
        <dt>{t("citizen.agency")}</dt>
        <dd>{data.agency}</dd>
        {(data.address || data.area) && (
          <>
            <dt>{t("citizen.where")}</dt>
            <dd>{[data.address, data.area].filter(Boolean).join(", ")}</dd>
          </>
        )}
        {data.plus_code && (
          <>
            <dt>{t("case.plus_code")}</dt>
            <dd data-testid="plus-code" translate={false}>
              {data.plus_code}
            </dd>
          </>
        )}
        <dt>{t("citizen.expected")}</dt>
        <dd>{formatTime(data.expected_resolution)}</dd>
      </dl>
      {data.description && <p class="description">{data.description}</p>}

      {creds.token && <PushOptIn token={creds.token} />}

      {(data.can_rate || data.can_dispute || data.rated) && (
        <Feedback
          data={data}
          creds={creds}
          onChanged={reload}
          onDisputed={() => setDisputed(true)}
        />
      )}

      <TrackedHistory data={data} />
      <a class="btn btn-text" href="/lacak">
        {t("citizen.track_other")}
      </a>
    </section>
  );
}

function TrackedHistory({ data }: { data: Tracked }) {
  return (
    <>
      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">{t("citizen.timeline")}</h2>
        <ol class="timeline" data-testid="public-timeline">
          {[...data.timeline].reverse().map((e) => (
            <li key={`${e.kind}-${e.at}`}>
              <strong>{e.label}</strong>
              <span class="muted small"> {formatTime(e.at)}</span>
            </li>
          ))}
        </ol>
      </section>

      {data.photos.length > 0 && (
        <section aria-labelledby="photos-title">
          <h2 id="photos-title">{t("citizen.photos")}</h2>
          <ul class="photos" data-testid="public-photos">
            {data.photos.map((p, i) => (
              <li key={p.id}>
                <a href={p.display_url} target="_blank" rel="noopener">
                  <img
                    src={p.thumb_url}
                    alt={t(p.source === "field" ? "citizen.photo_team" : "citizen.photo_n", {
                      n: i + 1,
                    })}
                    loading="lazy"
                  />
                </a>
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}
