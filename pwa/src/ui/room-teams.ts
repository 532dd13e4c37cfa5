/** The teams the signed-in user may see (`GET /api/teams`; the API scopes them to an agency). */
import { useEffect, useState } from "preact/hooks";
import type { Schema } from "../lib/api-types";
import { api } from "../lib/session";

export type TeamItem = Schema<"TeamItem">;

/** The teams, `null` while loading (or when `enabled` is false); an empty list when they failed. */
export function useTeams(enabled: boolean) {
  const [teams, setTeams] = useState<TeamItem[] | null>(null);
  useEffect(() => {
    if (!enabled) return;
    void api
      .request<TeamItem[]>("/api/teams")
      .then(setTeams)
      .catch(() => setTeams([]));
  }, [enabled]);
  return [teams, setTeams] as const;
}
