/**
 * The API's types, generated from its OpenAPI document into `pwa/generated/api.ts`
 * (`make types`; `make types-check` in `make test` fails when they are stale).
 * Screens name a response or request shape as `Schema<"CaseOut">`, never by hand.
 */
import type { components, paths } from "../../generated/api";

export type Schemas = components["schemas"];
export type Schema<K extends keyof Schemas> = Schemas[K];
export type ApiPaths = paths;
