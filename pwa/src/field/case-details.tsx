/**
 * The read-only parts of the field officer's case screen: where (map, address, the navigation
 * link), the deadlines, the photos (with those still in the outbox), and the timeline (with the
 * officer's unsent steps marked).
 */
import { useEffect, useMemo } from "preact/hooks";
import { bearingDeg, compassPoint, distanceM, navigationUrl, type Position } from "../lib/geo";
import { formatDistance, formatTime, hasKey, t } from "../lib/i18n";
import { type OutboxItem, TARGET_STATUS } from "../lib/outbox";
import type {
  AppConfig,
  CaseDetail,
  CaseSummary,
  FieldAction,
  TimelineEvent,
  User,
} from "../lib/types";
import { statusLabel } from "../shell/ui";
import { CaseMap } from "./map";

function eventLabel(e: TimelineEvent): string {
  const kindKey = `event.${e.kind}`;
  if (hasKey(kindKey)) return t(kindKey);
  if (e.to_status) return statusLabel(e.to_status);
  return t("event.other");
}

/** The officer's queued transitions, as timeline entries marked pending. */
export function pendingEvents(mine: OutboxItem[], user: User): TimelineEvent[] {
  return mine
    .filter((i) => i.kind === "transition" && i.action)
    .map((i, n) => ({
      id: -1 - n,
      kind: i.action as FieldAction,
      from_status: null,
      to_status: i.action ? TARGET_STATUS[i.action] : null,
      at: new Date(i.createdAt).toISOString(),
      actor_id: user.id,
      actor_kind: "user",
      actor_name: user.full_name,
      note: i.note ?? "",
      data: {},
      lat: i.lat ?? null,
      lon: i.lon ?? null,
      public: false,
      pending: true,
    }));
}

function Fact(p: { label: string; value: string | null; noTranslate?: boolean }) {
  const { label, value, noTranslate } = p;
  if (!value) return null;
  return (
    <>
      <dt>{label}</dt>
      <dd translate={noTranslate ? false : undefined}>{value}</dd>
    </>
  );
}

/** How far and which way the case is from the officer's own position, once the phone knows it. */
function Direction({ c, here }: { c: CaseSummary; here: Position | null }) {
  if (!here) {
    return (
      <p class="muted small" data-testid="direction">
        {t("case.direction_unknown")}
      </p>
    );
  }
  const bearing = bearingDeg(here.lat, here.lon, c.lat, c.lon);
  return (
    <p class="small" data-testid="direction" data-bearing={bearing}>
      {t("case.direction", {
        d: formatDistance(distanceM(here.lat, here.lon, c.lat, c.lon)),
        dir: t(`compass.${compassPoint(bearing)}`),
        deg: bearing,
      })}
    </p>
  );
}

export function CaseWhere({
  c,
  here,
  config,
}: {
  c: CaseSummary;
  here: Position | null;
  config: AppConfig | null;
}) {
  return (
    <>
      <h2>{t("case.location")}</h2>
      {config && <CaseMap lat={c.lat} lon={c.lon} here={here} map={config.map} />}
      <dl class="facts">
        <Fact label={t("case.address")} value={c.address} />
        <Fact label={t("case.plus_code")} value={c.plus_code} noTranslate />
        <Fact label={t("case.landmark")} value={c.landmark} />
        <Fact label={t("case.area")} value={c.area_name} />
      </dl>
      <a
        class="btn btn-secondary btn-block"
        href={navigationUrl(c.lat, c.lon, c.reference, navigator.userAgent)}
        target="_blank"
        rel="noopener"
        data-testid="navigate"
      >
        {t("case.navigate")}
      </a>
      <Direction c={c} here={here} />
      <h2>{t("case.description")}</h2>
      <p class="description">{c.description}</p>
      <h2>{t("case.deadlines")}</h2>
      <dl class="facts">
        <Fact label={t("case.accept_by")} value={formatTime(c.accept_by)} />
        <Fact label={t("case.arrive_by")} value={formatTime(c.arrive_by)} />
        <Fact label={t("case.resolve_by")} value={formatTime(c.resolve_by)} />
      </dl>
    </>
  );
}

export function CasePhotos({ detail, mine }: { detail: CaseDetail; mine: OutboxItem[] }) {
  // Object URLs for photos still waiting in the outbox.
  const pending = useMemo(
    () =>
      mine.flatMap((item) =>
        item.photos
          .filter((p) => !p.uploaded)
          .map((p) => ({ key: p.key, url: URL.createObjectURL(p.blob) })),
      ),
    [mine],
  );
  useEffect(
    () => () => {
      for (const p of pending) URL.revokeObjectURL(p.url);
    },
    [pending],
  );
  const alt = t("case.photo_alt", { ref: detail.reference });
  return (
    <>
      <h2>{t("case.photos")}</h2>
      {detail.photos.length === 0 && pending.length === 0 ? (
        <p class="muted">{t("case.photos_empty")}</p>
      ) : (
        <ul class="photos">
          {detail.photos.map((p) => (
            <li key={p.id}>
              <a href={p.display_url} target="_blank" rel="noopener">
                <img src={p.thumb_url} alt={p.caption || alt} loading="lazy" />
              </a>
            </li>
          ))}
          {pending.map((p) => (
            <li key={p.key} class="pending-photo">
              <img src={p.url} alt={alt} />
              <span class="badge state-pending">{t("event.pending")}</span>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

export function CaseTimeline({ timeline }: { timeline: TimelineEvent[] }) {
  return (
    <>
      <h2>{t("case.timeline")}</h2>
      {timeline.length === 0 ? (
        <p class="muted">{t("case.timeline_empty")}</p>
      ) : (
        <ol class="timeline" data-testid="timeline">
          {timeline.map((e) => (
            <li key={e.id} class={e.pending ? "pending" : ""} data-kind={e.kind}>
              <div class="tl-head">
                <strong>{eventLabel(e)}</strong>
                <time dateTime={e.at}>{formatTime(e.at)}</time>
              </div>
              {e.actor_name && (
                <div class="muted small">{t("event.by", { name: e.actor_name })}</div>
              )}
              {e.note && <p class="note">{e.note}</p>}
              {e.pending && <span class="badge state-pending">{t("event.pending")}</span>}
            </li>
          ))}
        </ol>
      )}
    </>
  );
}
