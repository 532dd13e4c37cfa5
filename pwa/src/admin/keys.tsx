/** Stub: replaced in the following commits. */
export function KeysScreen() {
  return null;
}
