/** Stub: replaced in the following commits. */
export function AreasScreen() {
  return null;
}
