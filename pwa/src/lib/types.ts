/**
 * The API's shapes under the names the app has always used: each is the generated type
 * (`Schema<...>`, see api-types.ts) or a view model derived from one, never a hand copy.
 */
import type { Schema } from "./api-types";

/** A role as the server spells it (the one list is the API's UserIn.role). */
export type Role = Schema<"UserIn">["role"];

export type User = Schema<"Me">;

export type Tokens = Schema<"TokensOut">;

export type Priority = NonNullable<Schema<"CaseIn">["priority"]>;

/** A case's status (the API's vocabulary). */
export type Status = Schema<"CaseOut">["status"];

/** The moves a field officer makes (a subset of the API's transition actions). */
export type FieldAction = Extract<
  Schema<"TransitionIn">["action"],
  "accept" | "en_route" | "on_scene" | "resolve" | "return"
>;

export type CaseSummary = Schema<"CaseOut">;

export type TimelineEvent = Omit<Schema<"EventOut">, "kind"> & {
  /** An event kind; for an entry still in the outbox, the field action it will become. */
  kind: Schema<"EventOut">["kind"] | FieldAction;
  /** Shown on the phone for an action still in the outbox. */
  pending?: boolean;
};

export type CasePhoto = Schema<"PhotoRef">;

/** The phone's one flat record of `GET /api/cases/{id}` (`{case, timeline, photos, actions}`). */
export type CaseDetail = CaseSummary & {
  timeline: TimelineEvent[];
  photos: CasePhoto[];
  /** What the caller may do now, as the server sees it (absent in older cached copies). */
  actions?: string[];
};

export type CasePage = Schema<"CasePage">;

export type AppConfig = Schema<"ConfigOut">;

export type Team = Schema<"TeamItem">;
