/** Stub: replaced in the following commits. */
export function CategoriesScreen() {
  return null;
}
