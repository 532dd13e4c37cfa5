/** Stub: replaced in the following commits. */
export function AgenciesScreen() {
  return null;
}
