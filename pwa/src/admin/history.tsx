/** Stub: replaced in the following commits. */
export function HistoryScreen() {
  return null;
}
