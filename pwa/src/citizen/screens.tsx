/** The citizen pages (no account): one chunk, loaded when /lapor or /lacak opens. */
import "./citizen.css";
import { useEffect } from "preact/hooks";
import type { Route } from "../lib/router";
import { useWarnings, WarningBanner } from "../ui/warning-banner";
import { flushReports } from "./data";
import { Lacak } from "./lacak";
import { Lapor } from "./lapor";

export function CitizenScreen({ route }: { route: Route }) {
  // Reports queued without signal go out when a citizen page opens and when signal returns.
  useEffect(() => {
    void flushReports().catch(() => undefined);
    const online = () => void flushReports().catch(() => undefined);
    window.addEventListener("online", online);
    return () => window.removeEventListener("online", online);
  }, []);
  const warnings = useWarnings();
  const page =
    route.name === "lapor" ? (
      <Lapor />
    ) : route.name === "lacak" ? (
      <Lacak reference={route.reference} />
    ) : null;
  if (page === null) return null;
  return (
    <>
      <WarningBanner warnings={warnings} optIn />
      {page}
    </>
  );
}
