/**
 * The operator's intake console (route /intake): one screen, keyboard first. The caller's number
 * brings up its history and a prank warning; a call the PBX opened is offered as it arrives; a
 * non-valid call is classified with one key; a valid call becomes a case (category by fuzzy
 * search, a map pin, a description), with duplicates offered as the pin moves, then the nearest
 * suggested team is assigned, all without leaving the screen.
 *
 * The live event stream (/api/events) carries case and team events only, not calls, so calls the
 * PBX opens are found by polling GET /api/calls?limit=5 every few seconds.
 */
import "./intake.css";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError } from "../lib/api";
import { formatDistance, formatTime, type Key, t } from "../lib/i18n";
import { categoryName, useReference } from "../lib/reference";
import { api } from "../lib/session";
import { useStore } from "../lib/store";
import { app, showToast } from "../shell/state";
import { PageTitle, PriorityBadge, statusLabel } from "../shell/ui";
import { fuzzySearch } from "./fuzzy";
import { PinEntry } from "./pin-entry";
import { PinMap, type Point } from "./pin-map";

interface CallOut {
  id: number;
  number: string | null;
  channel: string;
  started_at: string;
  ended_at: string | null;
  class: string | null;
  pbx_call_id: string | null;
}

interface History {
  number: string;
  prank_count: number;
  flagged: boolean;
  flagged_until: string | null;
  calls: CallOut[];
  cases: { id: string; reference: string; status: string; created_at: string }[];
}

interface Category {
  id: number;
  code: string;
  name: string;
  name_id: string;
  name_en: string;
  priority: string;
  sensitive?: boolean;
}

interface CaseOut {
  id: string;
  reference: string;
  status: string;
  priority: string;
  version: number;
  category: { id: number; code: string; name: string };
  description: string;
  address: string;
  landmark: string;
  created_at: string;
  // With the caller's number: what the operator reads back so they can follow the case.
  caller_tracking?: { code: string; pin: string; phone: string } | null;
}

interface Similar {
  case: CaseOut;
  distance_m: number;
}

interface Suggestion {
  team_id: number;
  name: string;
  distance_m: number | null;
  position_age_s: number | null;
  fresh: boolean;
  open_cases: number;
  preferred: boolean;
}

/** Non-valid classes, their digit (Alt+digit anywhere) and letter (outside text fields). */
export const CLASSES = [
  { cls: "ghost", digit: "1", letter: "g" },
  { cls: "prank", digit: "2", letter: "p" },
  { cls: "informasi", digit: "3", letter: "i" },
  { cls: "curhat", digit: "4", letter: "c" },
  { cls: "wrong_number", digit: "5", letter: "w" },
] as const;

const INTAKE_ROLES = ["operator", "dispatcher", "admin"];
const POLL_MS = 3000;
const KENDARI: Point = { lat: -3.9778, lon: 122.515 };

function errorText(err: unknown): string {
  if (err instanceof ApiError && err.detail) return err.detail;
  return t("error.unknown");
}

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  const tag = el.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
}

function age(seconds: number | null): string {
  if (seconds === null) return t("intake.no_fix");
  if (seconds < 90) return t("intake.fix_seconds", { n: seconds });
  return t("intake.fix_minutes", { n: Math.round(seconds / 60) });
}

export function Intake() {
  useReference();
  const s = useStore(app);
  const role = s.session?.user.role ?? "";
  const config = s.config;

  const [number, setNumber] = useState("");
  const [callId, setCallId] = useState<number | null>(null);
  const [history, setHistory] = useState<History | null>(null);
  const [incoming, setIncoming] = useState<CallOut[]>([]);
  const handled = useRef(new Set<number>());

  const [categories, setCategories] = useState<Category[]>([]);
  const [query, setQuery] = useState("");
  const [category, setCategory] = useState<Category | null>(null);
  const [active, setActive] = useState(0);
  const [listOpen, setListOpen] = useState(false);
  const [pin, setPin] = useState<Point | null>(null);
  const [landmark, setLandmark] = useState("");
  const [address, setAddress] = useState("");
  const [description, setDescription] = useState("");
  const [similar, setSimilar] = useState<Similar[]>([]);
  const [rejected, setRejected] = useState<Set<string>>(new Set());

  const [created, setCreated] = useState<CaseOut | null>(null);
  const [sensitive, setSensitive] = useState(false);
  const [suggestions, setSuggestions] = useState<Suggestion[] | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const numberRef = useRef<HTMLInputElement>(null);

  const allowed = INTAKE_ROLES.includes(role);

  useEffect(() => {
    if (!allowed) return;
    void api
      .request<Category[]>("/api/categories")
      .then(setCategories)
      .catch(() => setError(t("error.unknown")));
  }, [allowed]);

  // Calls the PBX opened that nobody has classified yet.
  useEffect(() => {
    if (!allowed) return;
    let stop = false;
    const poll = async () => {
      try {
        const calls = await api.request<CallOut[]>("/api/calls?limit=5");
        if (!stop) {
          setIncoming(
            calls.filter((c) => c.pbx_call_id && c.class === null && !handled.current.has(c.id)),
          );
        }
      } catch {
        // Offline or a hiccup: the next poll tries again.
      }
    };
    void poll();
    const timer = setInterval(() => void poll(), POLL_MS);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, [allowed]);

  // The number's history, shortly after the operator stops typing.
  useEffect(() => {
    const digits = number.replace(/\D/g, "");
    if (digits.length < 8) {
      setHistory(null);
      return;
    }
    const ctl = new AbortController();
    const timer = setTimeout(() => {
      api
        // The number is personal data: a header, never the URL.
        .request<History>("/api/calls/history", {
          signal: ctl.signal,
          headers: { "X-Caller-Number": number },
        })
        .then(setHistory)
        .catch(() => setHistory(null));
    }, 300);
    return () => {
      clearTimeout(timer);
      ctl.abort();
    };
  }, [number]);

  // Duplicates near the pin, as it moves.
  useEffect(() => {
    if (!category || !pin || created) {
      setSimilar([]);
      return;
    }
    const ctl = new AbortController();
    const q = `category=${encodeURIComponent(category.code)}&lat=${pin.lat}&lon=${pin.lon}`;
    api
      .request<Similar[]>(`/api/cases/similar?${q}`, { signal: ctl.signal })
      .then(setSimilar)
      .catch(() => setSimilar([]));
    return () => ctl.abort();
  }, [category?.id, pin?.lat, pin?.lon, created]);

  const matches = useMemo(() => fuzzySearch(categories, query), [categories, query]);

  function reset() {
    setNumber("");
    setCallId(null);
    setHistory(null);
    setQuery("");
    setCategory(null);
    setListOpen(false);
    setPin(null);
    setLandmark("");
    setAddress("");
    setDescription("");
    setSimilar([]);
    setRejected(new Set());
    setCreated(null);
    setSensitive(false);
    setSuggestions(null);
    setDone(null);
    setError("");
    numberRef.current?.focus();
  }

  function take(call: CallOut) {
    reset();
    handled.current.add(call.id);
    setIncoming((list) => list.filter((c) => c.id !== call.id));
    setCallId(call.id);
    setNumber(call.number ?? "");
  }

  /** The call being handled: the PBX's, or one logged now for a number typed by hand. */
  async function ensureCall(): Promise<number> {
    if (callId) return callId;
    const body = number.trim() ? { number: number.trim(), channel: "phone" } : { channel: "phone" };
    const call = await api.request<CallOut>("/api/calls", { json: body });
    handled.current.add(call.id);
    setCallId(call.id);
    return call.id;
  }

  async function classify(cls: string) {
    if (busy || created) return;
    setBusy(true);
    setError("");
    try {
      const id = await ensureCall();
      await api.request(`/api/calls/${id}`, { method: "PATCH", json: { class: cls } });
      reset();
      showToast("intake.classified", { cls: t(`call_class.${cls}` as Key) });
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  const canCreate = !!category && !!pin && description.trim().length >= 3;

  async function createCase(): Promise<CaseOut | null> {
    if (created) return created;
    if (!category || !pin) {
      setError(t("intake.need_location"));
      return null;
    }
    if (description.trim().length < 3) {
      setError(t("intake.need_description"));
      return null;
    }
    const id = await ensureCall();
    const c = await api.request<CaseOut>("/api/cases", {
      json: {
        category_id: category.id,
        lat: pin.lat,
        lon: pin.lon,
        description: description.trim(),
        address: address.trim(),
        landmark: landmark.trim(),
        call_id: id,
        sensitive: sensitive || !!category.sensitive,
        ...(number.trim() ? { reporter: { phone: number.trim() } } : {}),
      },
    });
    setCreated(c);
    return c;
  }

  async function onCreate(e?: Event) {
    e?.preventDefault();
    if (busy) return;
    setBusy(true);
    setError("");
    try {
      const c = await createCase();
      if (c) {
        setSuggestions(await api.request<Suggestion[]>(`/api/cases/${c.id}/team-suggestions`));
      }
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  async function merge(parent: CaseOut) {
    if (busy) return;
    setBusy(true);
    setError("");
    try {
      const c = await createCase();
      if (c) {
        await api.request(`/api/cases/${c.id}/merge`, {
          json: { parent_id: parent.id, version: c.version },
        });
        setDone(t("intake.merged", { ref: c.reference, parent: parent.reference }));
      }
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  async function assign(team: Suggestion) {
    if (!created || busy) return;
    setBusy(true);
    setError("");
    try {
      await api.request(`/api/cases/${created.id}/assign`, {
        json: { team_id: team.team_id, version: created.version },
      });
      setDone(t("intake.assigned", { ref: created.reference, team: team.name }));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  // One key per class: Alt+digit anywhere, the letter when no text field has focus; Alt+N: next call.
  useEffect(() => {
    if (!allowed) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey) return;
      if (e.altKey && !e.shiftKey) {
        if (e.code === "KeyN") {
          e.preventDefault();
          reset();
          return;
        }
        const hit = CLASSES.find((c) => e.code === `Digit${c.digit}`);
        if (hit) {
          e.preventDefault();
          void classify(hit.cls);
        }
        return;
      }
      if (e.altKey || e.shiftKey || isTyping(e.target)) return;
      const hit = CLASSES.find((c) => e.key.toLowerCase() === c.letter);
      if (hit) {
        e.preventDefault();
        void classify(hit.cls);
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  });

  if (!allowed) {
    return (
      <section class="screen">
        <PageTitle>{t("intake.title")}</PageTitle>
        <p>{t("console.not_allowed")}</p>
      </section>
    );
  }

  const pickCategory = (c: Category) => {
    setCategory(c);
    setQuery(c.name);
    setListOpen(false);
  };

  const onComboKey = (e: KeyboardEvent) => {
    if (e.key === "ArrowDown") {
      e.preventDefault();
      setListOpen(true);
      setActive((a) => Math.min(a + 1, Math.max(matches.length - 1, 0)));
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      setActive((a) => Math.max(a - 1, 0));
    } else if (e.key === "Enter" && listOpen && matches[active]) {
      e.preventDefault();
      pickCategory(matches[active]);
    } else if (e.key === "Escape") {
      setListOpen(false);
    }
  };

  const shownSimilar = similar.filter((x) => !rejected.has(x.case.id));
  const center = config?.city?.center
    ? { lat: config.city.center[0], lon: config.city.center[1] }
    : KENDARI;

  return (
    <section class="screen console intake" data-testid="intake">
      <div class="row between">
        <PageTitle>{t("intake.title")}</PageTitle>
        <button type="button" class="btn btn-secondary" onClick={reset}>
          {t("intake.new_call")} <kbd>Alt+N</kbd>
        </button>
      </div>
      {error && (
        <p class="error" role="alert" data-testid="intake-error">
          {error}
        </p>
      )}
      <div class="intake-grid">
        <div class="intake-col">
          <section class="card" aria-labelledby="incoming-h">
            <h2 id="incoming-h">{t("intake.incoming")}</h2>
            {incoming.length === 0 ? (
              <p class="muted">{t("intake.no_incoming")}</p>
            ) : (
              <ul class="plain-list" data-testid="incoming">
                {incoming.map((c) => (
                  <li key={c.id} class="row between" data-testid="incoming-call">
                    <span>
                      <strong>{c.number ?? t("intake.unknown_number")}</strong>{" "}
                      <span class="muted">{formatTime(c.started_at, false)}</span>
                    </span>
                    <button type="button" class="btn btn-primary" onClick={() => take(c)}>
                      {t("intake.take")}
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </section>

          <section class="card" aria-labelledby="caller-h">
            <h2 id="caller-h">{t("intake.caller")}</h2>
            <label class="field">
              <span>{t("intake.number")}</span>
              <input
                ref={numberRef}
                type="tel"
                name="caller-number"
                autoComplete="off"
                value={number}
                data-testid="caller-number"
                onInput={(e) => setNumber((e.target as HTMLInputElement).value)}
              />
            </label>
            {callId && (
              <p class="muted" data-testid="call-id">
                {t("intake.call_open", { id: callId })}
              </p>
            )}
            {history && (
              <div data-testid="caller-history">
                {history.flagged && (
                  <p class="prank-warning" role="alert" data-testid="prank-warning">
                    {t("intake.prank_flagged", {
                      n: history.prank_count,
                      until: history.flagged_until ? formatTime(history.flagged_until) : "",
                    })}
                  </p>
                )}
                {!history.flagged && history.prank_count > 0 && (
                  <p class="prank-note" data-testid="prank-note">
                    {t("intake.prank_count", { n: history.prank_count })}
                  </p>
                )}
                <p>
                  {t("intake.history_summary", {
                    calls: history.calls.length,
                    cases: history.cases.length,
                  })}
                </p>
                {history.cases.length > 0 && (
                  <ul class="plain-list">
                    {history.cases.slice(0, 5).map((c) => (
                      <li key={c.id}>
                        {c.reference} · {statusLabel(c.status)} · {formatTime(c.created_at)}
                      </li>
                    ))}
                  </ul>
                )}
              </div>
            )}
          </section>

          <section class="card" aria-labelledby="classify-h">
            <h2 id="classify-h">{t("intake.classify")}</h2>
            <p class="muted">{t("intake.classify_hint")}</p>
            <div class="class-buttons">
              {CLASSES.map((c) => (
                <button
                  key={c.cls}
                  type="button"
                  class="btn btn-secondary"
                  data-class={c.cls}
                  disabled={busy || !!created}
                  aria-keyshortcuts={`Alt+${c.digit} ${c.letter.toUpperCase()}`}
                  onClick={() => void classify(c.cls)}
                >
                  {t(`call_class.${c.cls}` as Key)}
                  <span class="key-hint" aria-hidden="true">
                    <kbd>Alt+{c.digit}</kbd> <kbd>{c.letter.toUpperCase()}</kbd>
                  </span>
                </button>
              ))}
            </div>
          </section>
        </div>

        <form class="intake-col card" aria-labelledby="case-h" onSubmit={(e) => void onCreate(e)}>
          <h2 id="case-h">{t("intake.valid")}</h2>
          <div class="field combo">
            <label for="category-search">
              <span>{t("intake.category")}</span>
            </label>
            <input
              id="category-search"
              type="text"
              role="combobox"
              autoComplete="off"
              aria-autocomplete="list"
              aria-expanded={listOpen && matches.length > 0}
              aria-controls="category-list"
              aria-activedescendant={
                listOpen && matches[active] ? `cat-${matches[active].id}` : undefined
              }
              value={query}
              disabled={!!created}
              data-testid="category-search"
              onInput={(e) => {
                setQuery((e.target as HTMLInputElement).value);
                setCategory(null);
                setActive(0);
                setListOpen(true);
              }}
              onKeyDown={onComboKey}
            />
            <div
              id="category-list"
              role="listbox"
              aria-label={t("intake.category")}
              class="combo-list"
              hidden={!listOpen || matches.length === 0}
            >
              {matches.map((c, i) => (
                // biome-ignore lint/a11y/useKeyWithClickEvents: the combobox input handles keys
                <div
                  key={c.id}
                  id={`cat-${c.id}`}
                  role="option"
                  tabIndex={-1}
                  aria-selected={i === active}
                  class={i === active ? "active" : ""}
                  data-code={c.code}
                  onClick={() => pickCategory(c)}
                >
                  {categoryName(c)}
                </div>
              ))}
            </div>
            {category && (
              <p data-testid="category-chosen">
                {t("intake.category_chosen", { name: categoryName(category) })}{" "}
                <PriorityBadge priority={category.priority} />
              </p>
            )}
            {query && !category && listOpen && matches.length === 0 && (
              <p class="muted">{t("intake.no_category")}</p>
            )}
          </div>

          <label class="field">
            <span>{t("intake.description")}</span>
            <textarea
              rows={3}
              value={description}
              disabled={!!created}
              data-testid="description"
              onInput={(e) => setDescription((e.target as HTMLTextAreaElement).value)}
            />
          </label>
          <div class="row">
            <label class="field grow">
              <span>{t("intake.landmark")}</span>
              <input
                type="text"
                value={landmark}
                disabled={!!created}
                onInput={(e) => setLandmark((e.target as HTMLInputElement).value)}
              />
            </label>
            <label class="field grow">
              <span>{t("intake.address")}</span>
              <input
                type="text"
                value={address}
                disabled={!!created}
                onInput={(e) => setAddress((e.target as HTMLInputElement).value)}
              />
            </label>
          </div>

          <label class="check" data-testid="sensitive">
            <input
              type="checkbox"
              checked={sensitive || !!category?.sensitive}
              disabled={!!created || !!category?.sensitive}
              onChange={(e) => setSensitive((e.target as HTMLInputElement).checked)}
            />
            <span>
              {t("intake.sensitive")}
              <br />
              <small class="muted">
                {category?.sensitive ? t("intake.sensitive_category") : t("intake.sensitive_hint")}
              </small>
            </span>
          </label>

          <fieldset class="plain">
            <legend>{t("intake.location")}</legend>
            {config ? (
              <PinMap
                center={center}
                pin={pin}
                onPin={(p) => !created && setPin(p)}
                tileUrl={config.map.tile_url}
                attribution={config.map.attribution}
                maxZoom={config.map.max_zoom}
              />
            ) : (
              <p class="loading">{t("app.loading")}</p>
            )}
            <PinEntry
              cityCenter={center}
              disabled={!!created}
              onPin={(p) => !created && setPin(p)}
            />
          </fieldset>

          {shownSimilar.length > 0 && (
            <section class="similar" aria-labelledby="similar-h" data-testid="similar">
              <h3 id="similar-h">{t("intake.similar")}</h3>
              <ul class="plain-list">
                {shownSimilar.map((x) => (
                  <li key={x.case.id} class="similar-item" data-reference={x.case.reference}>
                    <div>
                      <strong>{x.case.reference}</strong> · {statusLabel(x.case.status)} ·{" "}
                      {formatDistance(x.distance_m)}
                      <br />
                      <span class="similar-desc">{x.case.description}</span>
                    </div>
                    <div class="row">
                      <button
                        type="button"
                        class="btn btn-secondary"
                        disabled={busy || !canCreate}
                        onClick={() => void merge(x.case)}
                      >
                        {t("intake.merge")}
                      </button>
                      <button
                        type="button"
                        class="btn btn-secondary"
                        onClick={() => setRejected(new Set([...rejected, x.case.id]))}
                      >
                        {t("intake.reject")}
                      </button>
                    </div>
                  </li>
                ))}
              </ul>
            </section>
          )}

          {!created && (
            <button type="submit" class="btn btn-primary" disabled={busy || !canCreate}>
              {t("intake.create")}
            </button>
          )}

          {created && (
            <section aria-labelledby="created-h" data-testid="created">
              <h3 id="created-h">{t("intake.created", { ref: created.reference })}</h3>
              {created.caller_tracking && <ReadBack tracking={created.caller_tracking} />}
              {done ? (
                <p class="done" role="status" data-testid="intake-done">
                  {done}
                </p>
              ) : suggestions === null ? (
                <p class="loading">{t("app.loading")}</p>
              ) : suggestions.length === 0 ? (
                <p>{t("intake.no_teams")}</p>
              ) : (
                <table class="teams" data-testid="team-suggestions">
                  <caption>{t("intake.teams")}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t("intake.team")}</th>
                      <th scope="col">{t("intake.distance")}</th>
                      <th scope="col">{t("intake.fix_age")}</th>
                      <th scope="col">{t("intake.workload")}</th>
                      <th scope="col">
                        <span class="visually-hidden">{t("intake.assign")}</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {suggestions.map((g) => (
                      <tr key={g.team_id} data-testid="team-suggestion" data-team={g.name}>
                        <th scope="row">{g.name}</th>
                        <td>{g.distance_m === null ? "–" : formatDistance(g.distance_m)}</td>
                        <td>{age(g.position_age_s)}</td>
                        <td>{t("intake.open_cases", { n: g.open_cases })}</td>
                        <td>
                          <button
                            type="button"
                            class="btn btn-primary"
                            disabled={busy}
                            onClick={() => void assign(g)}
                          >
                            {t("intake.assign_to", { team: g.name })}
                          </button>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              {done && (
                <button type="button" class="btn btn-primary" onClick={reset}>
                  {t("intake.new_call")}
                </button>
              )}
            </section>
          )}
        </form>
      </div>
    </section>
  );
}

/** The code and PIN the operator reads back to the caller, large, with a copy button. */
function ReadBack({ tracking }: { tracking: { code: string; pin: string; phone: string } }) {
  const [copied, setCopied] = useState(false);
  async function copy() {
    try {
      await navigator.clipboard.writeText(`${tracking.code} ${tracking.pin}`);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  }
  return (
    <div class="read-back" data-testid="caller-tracking">
      <p>{t("intake.read_back", { phone: tracking.phone })}</p>
      <dl>
        <dt>{t("intake.tracking_code")}</dt>
        <dd class="read-back-value" data-testid="tracking-code">
          {tracking.code}
        </dd>
        <dt>{t("intake.tracking_pin")}</dt>
        <dd class="read-back-value" data-testid="tracking-pin">
          {tracking.pin}
        </dd>
      </dl>
      <button type="button" class="btn btn-secondary" onClick={() => void copy()}>
        {copied ? t("intake.copied") : t("intake.copy")}
      </button>
    </div>
  );
}
