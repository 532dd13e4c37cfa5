/**
 * The operator's intake console (route /intake): one screen, keyboard first. The caller's number
 * brings up its history and a prank warning; a call the PBX opened is offered as it arrives; a
 * non-valid call is classified with one key; a valid call becomes a case (category by fuzzy
 * search, a map pin, a description), with duplicates offered as the pin moves, then the nearest
 * suggested team is assigned, all without leaving the screen.
 *
 * Each call is one round (`IntakeCall`, keyed by its number): "next call" starts a fresh round,
 * so nothing of the last caller is left in any field.
 */
import "./intake.css";
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "../lib/api";
import type { LatLon } from "../lib/coords";
import { type Key, t } from "../lib/i18n";
import { useReference } from "../lib/reference";
import { api } from "../lib/session";
import { useStore } from "../lib/store";
import type { AppConfig } from "../lib/types";
import { app, showToast } from "../shell/state";
import { PageTitle } from "../shell/ui";
import { useAction } from "../ui/form-action";
import { FormError, NotAllowed } from "../ui/form-field";
import { type Fix, useCallFixes } from "./intake-aml";
import { CallerCard, ClassifyCard, IncomingCalls } from "./intake-caller";
import { CaseFields, CategoryCombo, type Draft, EMPTY_DRAFT, SimilarList } from "./intake-case";
import { Conversation } from "./intake-conversation";
import { type Created, CreatedPanel, type Suggestion } from "./intake-created";
import {
  type CallOut,
  type Category,
  type Similar,
  useClassKeys,
  useIncoming,
  useSimilar,
} from "./intake-hooks";
import { OutsideNotice, useOutside } from "./intake-outside";

const INTAKE_ROLES = ["operator", "dispatcher", "admin"];
const KENDARI: LatLon = { lat: -3.9778, lon: 122.515 };

function errorText(err: unknown): string {
  if (err instanceof ApiError && err.detail) return err.detail;
  return t("error.unknown");
}

export function Intake() {
  useReference();
  const s = useStore(app);
  const allowed = INTAKE_ROLES.includes(s.session?.user.role ?? "");
  const [categories, setCategories] = useState<Category[]>([]);
  const [loadError, setLoadError] = useState("");
  const handled = useRef(new Set<number>());
  const { incoming, drop, refresh } = useIncoming(allowed, handled.current);
  const [round, setRound] = useState<{ n: number; call: CallOut | null }>({ n: 0, call: null });
  const callIds = incoming.map((c) => c.id).concat(round.call ? [round.call.id] : []);
  // How many live `conversation` events each call has had: its open panel reloads on each.
  const [conversationTicks, setConversationTicks] = useState<Record<number, number>>({});
  const { fixes, live } = useCallFixes(allowed, callIds, refresh, (id) => {
    refresh(); // a message may bring a conversation into the incoming list
    setConversationTicks((ticks) => ({ ...ticks, [id]: (ticks[id] ?? 0) + 1 }));
  });

  useEffect(() => {
    if (!allowed) return;
    void api
      .request<Category[]>("/api/categories")
      .then(setCategories)
      .catch(() => setLoadError(t("error.unknown")));
  }, [allowed]);

  if (!allowed) return <NotAllowed title={t("intake.title")} />;

  /** A fresh round: empty, or for a call the PBX opened. */
  const next = (call: CallOut | null = null) => {
    if (call) {
      handled.current.add(call.id);
      drop(call.id);
    }
    setRound((r) => ({ n: r.n + 1, call }));
  };
  const config = s.config;
  const center = config?.city?.center
    ? { lat: config.city.center[0], lon: config.city.center[1] }
    : KENDARI;

  return (
    <section class="screen console intake" data-testid="intake" data-live={live ? "1" : "0"}>
      <div class="row between">
        <PageTitle>{t("intake.title")}</PageTitle>
        <button type="button" class="btn btn-secondary" onClick={() => next()}>
          {t("intake.new_call")} <kbd>Alt+N</kbd>
        </button>
      </div>
      <IntakeCall
        key={round.n}
        call={round.call}
        focusNumber={round.n > 0}
        categories={categories}
        loadError={loadError}
        config={config}
        center={center}
        handled={handled.current}
        fix={round.call ? (fixes[round.call.id] ?? null) : null}
        conversationTicks={conversationTicks}
        live={live}
        onNext={() => next()}
      >
        <IncomingCalls incoming={incoming} fixes={fixes} onTake={next} />
      </IntakeCall>
    </section>
  );
}

interface IntakeCallProps {
  call: CallOut | null;
  focusNumber: boolean;
  categories: Category[];
  loadError: string;
  config: AppConfig | null;
  center: LatLon;
  handled: Set<number>;
  /** The call's AML location (the PBX's call only: a number typed by hand has none). */
  fix: Fix | null;
  /** Live `conversation` events per call id, and whether the stream is connected. */
  conversationTicks: Record<number, number>;
  live: boolean;
  onNext: () => void;
  /** The incoming calls, at the top of the left column. */
  children: ComponentChildren;
}

function IntakeCall(props: IntakeCallProps) {
  const { call, handled, onNext } = props;
  const [number, setNumber] = useState(call?.number ?? "");
  const [callId, setCallId] = useState<number | null>(call?.id ?? null);
  const [category, setCategory] = useState<Category | null>(null);
  const [draft, setDraft] = useState<Draft>(EMPTY_DRAFT);
  const [created, setCreated] = useState<Created | null>(null);
  const [suggestions, setSuggestions] = useState<Suggestion[] | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const { busy, error, setError, run } = useAction(errorText);
  const similar = useSimilar(category, draft.pin, !!created);
  const outside = useOutside(draft.pin);

  /** The call being handled: the PBX's, or one logged now for a number typed by hand. */
  async function ensureCall(): Promise<number> {
    if (callId) return callId;
    const body = number.trim() ? { number: number.trim(), channel: "phone" } : { channel: "phone" };
    const logged = await api.request<CallOut>("/api/calls", { json: body });
    handled.add(logged.id);
    setCallId(logged.id);
    return logged.id;
  }

  const classify = (cls: string) =>
    !created &&
    run(async () => {
      const id = await ensureCall();
      await api.request(`/api/calls/${id}`, { method: "PATCH", json: { class: cls } });
      onNext();
      showToast("intake.classified", { cls: t(`call_class.${cls}` as Key) });
    });
  useClassKeys((cls) => void classify(cls), onNext);

  const canCreate = !!category && !!draft.pin && draft.description.trim().length >= 3;

  async function createCase(): Promise<Created | null> {
    if (created) return created;
    if (!category || !draft.pin) {
      setError(t("intake.need_location"));
      return null;
    }
    if (draft.description.trim().length < 3) {
      setError(t("intake.need_description"));
      return null;
    }
    const id = await ensureCall();
    const c = await api.request<Created>("/api/cases", {
      json: {
        category_id: category.id,
        lat: draft.pin.lat,
        lon: draft.pin.lon,
        description: draft.description.trim(),
        address: draft.address.trim(),
        landmark: draft.landmark.trim(),
        call_id: id,
        sensitive: draft.sensitive || !!category.sensitive,
        // The notice has shown the operator the place is outside the city.
        ...(outside ? { allow_out_of_area: true } : {}),
        ...(number.trim() ? { reporter: { phone: number.trim() } } : {}),
      },
    });
    setCreated(c);
    return c;
  }

  const onCreate = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const c = await createCase();
      if (c) setSuggestions(await api.request<Suggestion[]>(`/api/cases/${c.id}/team-suggestions`));
    });
  };

  const merge = (parent: Similar["case"]) =>
    run(async () => {
      const c = await createCase();
      if (!c) return;
      await api.request(`/api/cases/${c.id}/merge`, {
        json: { parent_id: parent.id, version: c.version },
      });
      setDone(t("intake.merged", { ref: c.reference, parent: parent.reference }));
    });

  const assign = (team: Suggestion) =>
    created &&
    run(async () => {
      await api.request(`/api/cases/${created.id}/assign`, {
        json: { team_id: team.team_id, version: created.version },
      });
      setDone(t("intake.assigned", { ref: created.reference, team: team.name }));
    });

  return (
    <>
      <FormError text={error || props.loadError} testid="intake-error" />
      <div class="intake-grid">
        <div class="intake-col">
          {props.children}
          <CallerCard
            number={number}
            onNumber={setNumber}
            callId={callId}
            focus={props.focusNumber}
          />
          <ClassifyCard disabled={busy || !!created} onClass={(cls) => void classify(cls)} />
          {callId && (
            <Conversation
              callId={callId}
              hasCase={!!created}
              tick={props.conversationTicks[callId] ?? 0}
              live={props.live}
            />
          )}
        </div>

        <form class="intake-col card" aria-labelledby="case-h" onSubmit={onCreate}>
          <h2 id="case-h">{t("intake.valid")}</h2>
          <CategoryCombo
            categories={props.categories}
            category={category}
            onCategory={setCategory}
            disabled={!!created}
          />
          <CaseFields
            draft={draft}
            onDraft={(change) => setDraft((d) => ({ ...d, ...change }))}
            category={category}
            config={props.config}
            center={props.center}
            frozen={!!created}
            fix={props.fix}
          />
          <OutsideNotice flag={outside} />
          <SimilarList
            shown={similar.shown}
            canMerge={!busy && canCreate}
            onMerge={(parent) => void merge(parent)}
            onReject={similar.reject}
          />
          {!created && (
            <button type="submit" class="btn btn-primary" disabled={busy || !canCreate}>
              {t("intake.create")}
            </button>
          )}
          {created && (
            <CreatedPanel
              created={created}
              suggestions={suggestions}
              done={done}
              busy={busy}
              onAssign={(team) => void assign(team)}
              onNext={onNext}
            />
          )}
        </form>
      </div>
    </>
  );
}
