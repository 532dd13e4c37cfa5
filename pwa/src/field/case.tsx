/**
 * Case detail for the field officer: where, what, what happened, and the next action as one big
 * button. Every action goes to the outbox first; the screen shows the case as the officer has
 * moved it, with unsent steps marked, and plainly shows a refusal from the server.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiError } from "../lib/api";
import type { Schema } from "../lib/api-types";
import { fieldActions, isOverdue, loadCase, withPending } from "../lib/cases";
import { kvGet, kvSet } from "../lib/db";
import { currentPosition, lastPosition, type Position } from "../lib/geo";
import { formatTime, t } from "../lib/i18n";
import { queueTransition } from "../lib/outbox";
import { categoryName, useReference } from "../lib/reference";
import { api } from "../lib/session";
import { useStore } from "../lib/store";
import type { CaseDetail, FieldAction } from "../lib/types";
import { describeProblem } from "../shell/outbox-screen";
import { app, requestBackgroundSync, showToast, syncNow } from "../shell/state";
import { OverdueBadge, PageTitle, PriorityBadge, statusLabel } from "../shell/ui";
import { ActionButtons, ActionForm, type FormAction } from "./action-form";
import { CasePhotos, CaseTimeline, CaseWhere, pendingEvents } from "./case-details";
import type { PickedPhoto } from "./photo-picker";

/** What the phone keeps of each category: whether resolving needs a photo. */
type CategoryInfo = Pick<Schema<"CategoryItem">, "id" | "photo_required">;

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

export function CaseScreen({ id }: { id: string }) {
  useReference();
  const s = useStore(app);
  const user = s.session?.user;
  const [detail, setDetail] = useState<CaseDetail | null>(null);
  const [fromCache, setFromCache] = useState(false);
  const [cachedAt, setCachedAt] = useState(0);
  const [missing, setMissing] = useState<"" | "not_cached" | "not_found">("");
  const [form, setForm] = useState<FormAction | null>(null);
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

  const timeline = [...detail.timeline, ...pendingEvents(mine, user)];
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
          <ActionButtons
            actions={actions}
            busy={busy}
            onPick={(a) => {
              if (a !== "resolve" && a !== "return") return void act(a);
              app.set({ toast: null }); // the last toast would sit over the form's photos
              setForm(a);
            }}
          />
        )}
      </div>

      <CaseWhere c={c} here={here} config={config} />
      <CasePhotos detail={detail} mine={mine} />
      <CaseTimeline timeline={timeline} />
    </section>
  );
}
