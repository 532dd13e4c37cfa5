/**
 * One action at a time from a form: `run` marks the form busy, clears the last error, and shows
 * a failure in the one error line (in the screen's own words for it).
 */
import { useState } from "preact/hooks";

export function useAction(describe: (err: unknown) => string) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");

  async function run(work: () => Promise<void>): Promise<void> {
    if (busy) return;
    setBusy(true);
    setError("");
    try {
      await work();
    } catch (err) {
      setError(describe(err));
    } finally {
      setBusy(false);
    }
  }

  return { busy, error, setError, run };
}
