/**
 * `compute` done once per text: expressions recur across a repository's steps and workflows
 * (`matrix.os`, `secrets.GITHUB_TOKEN`, …). Results are shared, so callers only read them; at most
 * `limit` texts are kept.
 */
export function memoByText<T>(compute: (text: string) => T, limit = 4096): (text: string) => T {
  const seen = new Map<string, T>();
  return (text) => {
    let v = seen.get(text);
    if (v === undefined) {
      if (seen.size >= limit) seen.clear();
      v = compute(text);
      seen.set(text, v);
    }
    return v;
  };
}
