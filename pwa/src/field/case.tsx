/**
 * Case detail for the field officer: where, what, what happened, and the next action as one big
 * button. Every action goes to the outbox first; the screen shows the case as the officer has
 * moved it, with unsent steps marked, and plainly shows a refusal from the server.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiError } from "../lib/api";
import { fieldActions, isOverdue, loadCase, withPending } from "../lib/cases";
import { kvGet, kvSet } from "../lib/db";
import { currentPosition, lastPosition, navigationUrl, type Position } from "../lib/geo";
import { formatTime, hasKey, type Key, t } from "../lib/i18n";
import { queueTransition } from "../lib/outbox";
import { categoryName, useReference } from "../lib/reference";
import { api } from "../lib/session";
import { useStore } from "../lib/store";
import type { CaseDetail, FieldAction, TimelineEvent } from "../lib/types";
import { describeProblem } from "../shell/outbox-screen";
import { app, requestBackgroundSync, showToast, syncNow } from "../shell/state";
import { OverdueBadge, PageTitle, PriorityBadge, statusLabel } from "../shell/ui";
import { CaseMap } from "./map";
import { PhotoPicker, type PickedPhoto } from "./photo-picker";

interface CategoryInfo {
  id: number;
  photo_required: boolean;
}

async function photoRequired(categoryId: number): Promise<boolean> {
  let cats: CategoryInfo[] | undefined;
  try {
    cats = await api.request<CategoryInfo[]>("/api/categories");
    await kvSet(
      "categories",
      cats.map((c) => ({ id: c.id, photo_required: c.photo_required })),
    );
  } catch {
    cats = await kvGet<CategoryInfo[]>("categories");
  }
  return cats?.find((c) => c.id === categoryId)?.photo_required ?? false;
}

function eventLabel(e: TimelineEvent): string {
  const kindKey = `event.${e.kind}`;
  if (hasKey(kindKey)) return t(kindKey);
  if (e.to_status) return statusLabel(e.to_status);
  return t("event.other");
}

const ACTION_ICON: Record<FieldAction, string> = {
  accept: "✓",
  en_route: "➜",
  on_scene: "⚑",
  resolve: "✔",
  return: "↩",
};

function ActionForm({
  action,
  needsPhoto,
  onCancel,
  onSubmit,
}: {
  action: "resolve" | "return";
  needsPhoto: boolean;
  onCancel: () => void;
  onSubmit: (note: string, photos: PickedPhoto[]) => Promise<void>;
}) {
  const [note, setNote] = useState("");
  const [photos, setPhotos] = useState<PickedPhoto[]>([]);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const resolve = action === "resolve";

  async function submit(e: Event) {
    e.preventDefault();
    if (!note.trim()) {
      setError(t("form.required"));
      return;
    }
    if (resolve && needsPhoto && photos.length === 0) {
      setError(t("resolve.photo_required"));
      return;
    }
    setBusy(true);
    try {
      await onSubmit(note, photos);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      class="card stack action-form"
      onSubmit={submit}
      data-testid={`${action}-form`}
      noValidate
    >
      <h2>{resolve ? t("resolve.title") : t("return.title")}</h2>
      <label class="field">
        <span>{resolve ? t("resolve.note") : t("return.reason")}</span>
        <textarea
          name="note"
          rows={4}
          required
          placeholder={resolve ? t("resolve.note_hint") : t("return.reason_hint")}
          value={note}
          onInput={(e) => setNote(e.currentTarget.value)}
          aria-invalid={error === t("form.required")}
        />
      </label>
      {resolve && <PhotoPicker photos={photos} onChange={setPhotos} required={needsPhoto} />}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <button
        type="submit"
        class={`btn btn-block btn-xl ${resolve ? "btn-primary" : "btn-danger"}`}
        disabled={busy}
      >
        {resolve ? t("resolve.submit") : t("return.submit")}
      </button>
      <button type="button" class="btn btn-secondary btn-block" onClick={onCancel}>
        {t("app.cancel")}
      </button>
    </form>
  );
}

export function CaseScreen({ id }: { id: string }) {
  useReference();
  const s = useStore(app);
  const user = s.session?.user;
  const [detail, setDetail] = useState<CaseDetail | null>(null);
  const [fromCache, setFromCache] = useState(false);
  const [cachedAt, setCachedAt] = useState(0);
  const [missing, setMissing] = useState<"" | "not_cached" | "not_found">("");
  const [form, setForm] = useState<"resolve" | "return" | null>(null);
  const [needsPhoto, setNeedsPhoto] = useState(false);
  const [here, setHere] = useState<Position | null>(lastPosition());
  const [busy, setBusy] = useState(false);

  async function reload() {
    try {
      const loaded = await loadCase(api, id);
      if (!loaded) {
        setMissing("not_cached");
        return;
      }
      setMissing("");
      setDetail(loaded.data);
      setFromCache(loaded.fromCache);
      setCachedAt(loaded.cachedAt);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 403))
        setMissing("not_found");
      else showToast("error.unknown", undefined, (err as Error).message);
    }
  }

  useEffect(() => {
    setDetail(null);
    setForm(null);
    void reload();
    void currentPosition(8000).then((p) => p && setHere(p));
  }, [id]);

  useEffect(() => {
    if (detail) void photoRequired(detail.category.id).then(setNeedsPhoto);
  }, [detail?.category.id]);

  const mine = useMemo(() => s.outbox.filter((i) => i.caseId === id), [s.outbox, id]);
  // When this case's outbox drains while online, show the server's word on it.
  useEffect(() => {
    if (mine.length === 0 && s.online && detail && fromCache === false) void reload();
  }, [mine.length, s.online]);

  // Object URLs for photos still waiting in the outbox.
  const pendingPhotos = useMemo(
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
      for (const p of pendingPhotos) URL.revokeObjectURL(p.url);
    },
    [pendingPhotos],
  );

  if (missing) {
    return (
      <section class="screen">
        <PageTitle>{t("case.title", { ref: "" })}</PageTitle>
        <p role="alert">{missing === "not_cached" ? t("case.not_cached") : t("case.not_found")}</p>
        <a class="btn btn-secondary" href="/">
          {t("app.back")}
        </a>
      </section>
    );
  }
  if (!detail || !user) return <p class="loading">{t("app.loading")}</p>;

  const c = withPending(detail, mine);
  const problem = mine.find((i) => i.state !== "pending");
  const serverSays = !fromCache && c.pending === 0 && detail.actions;
  const actions = problem
    ? []
    : fieldActions(c.status).filter((a) => !serverSays || detail.actions?.includes(a));
  const config = s.config;

  async function act(action: FieldAction, note = "", photos: PickedPhoto[] = []) {
    if (!user || !detail || busy) return;
    setBusy(true);
    try {
      const position = lastPosition() ?? (await currentPosition(2500));
      await queueTransition({
        userId: user.id,
        caseId: detail.id,
        caseRef: detail.reference,
        serverVersion: detail.version,
        action,
        note,
        position,
        photos: photos.map((p, i) => ({ blob: p.blob, name: `${detail.reference}-${i + 1}.jpg` })),
      });
      setForm(null);
      void requestBackgroundSync();
      if (navigator.onLine) {
        await syncNow();
        const left = app.get().outbox.some((i) => i.caseId === detail.id);
        showToast(left ? "case.queued" : "case.sent");
      } else {
        showToast("case.queued");
      }
    } finally {
      setBusy(false);
    }
  }

  const pendingEvents: TimelineEvent[] = mine
    .filter((i) => i.kind === "transition" && i.action)
    .map((i, n) => ({
      id: -1 - n,
      kind: i.action as string,
      from_status: null,
      to_status: i.action
        ? (
            {
              accept: "accepted",
              en_route: "en_route",
              on_scene: "on_scene",
              resolve: "resolved",
              return: "returned",
            } as const
          )[i.action]
        : null,
      at: new Date(i.createdAt).toISOString(),
      actor_name: user.full_name,
      note: i.note ?? "",
      pending: true,
    }));
  const timeline = [...detail.timeline, ...pendingEvents];
  const overdue = isOverdue(c);

  return (
    <section class="screen case" data-testid="case-screen" data-reference={c.reference}>
      <a class="back" href="/">
        ← {t("app.back")}
      </a>
      <PageTitle>{t("case.title", { ref: c.reference })}</PageTitle>
      <div class="row wrap">
        <PriorityBadge priority={c.priority} />
        <span class="badge status" data-testid="case-status">
          {c.pending > 0
            ? t("status.pending_sync", { status: statusLabel(c.status) })
            : statusLabel(c.status)}
        </span>
        {overdue && <OverdueBadge />}
      </div>
      <p class="case-cat">{categoryName(c.category)}</p>
      {fromCache && (
        <p class="muted small" data-testid="case-cached">
          {t("tasks.cached", { time: formatTime(cachedAt) })}
        </p>
      )}

      {problem && (
        <div class="banner banner-conflict" role="alert" data-testid="case-problem">
          <p>{describeProblem(problem)}</p>
          <a class="btn btn-secondary" href="/outbox">
            {t("conflict.view")}
          </a>
        </div>
      )}

      <div class="actions">
        {form ? (
          <ActionForm
            action={form}
            needsPhoto={needsPhoto}
            onCancel={() => setForm(null)}
            onSubmit={(note, photos) => act(form, note, photos)}
          />
        ) : actions.length === 0 ? (
          problem ? null : (
            <p class="muted">{t("case.no_actions")}</p>
          )
        ) : (
          actions.map((a, i) => (
            <button
              key={a}
              type="button"
              class={`btn btn-block btn-xl ${a === "return" ? "btn-outline-danger" : i === 0 ? "btn-primary" : "btn-secondary"}`}
              data-action={a}
              disabled={busy}
              onClick={() => {
                if (a !== "resolve" && a !== "return") return void act(a);
                app.set({ toast: null }); // the last toast would sit over the form's photos
                setForm(a);
              }}
            >
              <span class="btn-icon" aria-hidden="true">
                {ACTION_ICON[a]}
              </span>
              <span class="btn-text">
                <span>{t(`action.${a}` as Key)}</span>
                <span class="btn-hint">{t(`action.${a}_hint` as Key)}</span>
              </span>
            </button>
          ))
        )}
      </div>

      <h2>{t("case.location")}</h2>
      {config && (
        <CaseMap
          lat={c.lat}
          lon={c.lon}
          here={here}
          tileUrl={config.map.tile_url}
          attribution={config.map.attribution}
          maxZoom={config.map.max_zoom}
        />
      )}
      <dl class="facts">
        {c.address && (
          <>
            <dt>{t("case.address")}</dt>
            <dd>{c.address}</dd>
          </>
        )}
        {c.landmark && (
          <>
            <dt>{t("case.landmark")}</dt>
            <dd>{c.landmark}</dd>
          </>
        )}
        {c.area_name && (
          <>
            <dt>{t("case.area")}</dt>
            <dd>{c.area_name}</dd>
          </>
        )}
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

      <h2>{t("case.description")}</h2>
      <p class="description">{c.description}</p>

      <h2>{t("case.deadlines")}</h2>
      <dl class="facts">
        <dt>{t("case.accept_by")}</dt>
        <dd>{formatTime(c.accept_by)}</dd>
        <dt>{t("case.arrive_by")}</dt>
        <dd>{formatTime(c.arrive_by)}</dd>
        <dt>{t("case.resolve_by")}</dt>
        <dd>{formatTime(c.resolve_by)}</dd>
      </dl>

      <h2>{t("case.photos")}</h2>
      {detail.photos.length === 0 && pendingPhotos.length === 0 ? (
        <p class="muted">{t("case.photos_empty")}</p>
      ) : (
        <ul class="photos">
          {detail.photos.map((p) => (
            <li key={p.id}>
              <a href={p.display_url} target="_blank" rel="noopener">
                <img
                  src={p.thumb_url}
                  alt={p.caption || t("case.photo_alt", { ref: c.reference })}
                  loading="lazy"
                />
              </a>
            </li>
          ))}
          {pendingPhotos.map((p) => (
            <li key={p.key} class="pending-photo">
              <img src={p.url} alt={t("case.photo_alt", { ref: c.reference })} />
              <span class="badge state-pending">{t("event.pending")}</span>
            </li>
          ))}
        </ul>
      )}

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
    </section>
  );
}
