/** What a step's `uses:` names. */
export type ActionRef =
  | { kind: "local"; path: string }
  | { kind: "docker"; image: string }
  | {
      kind: "remote";
      owner: string;
      repo: string;
      /** Sub-folder inside the repository ("" for the root). */
      path: string;
      ref: string;
      /** owner/repo[/path], lower-cased: the key of built-ins. */
      name: string;
    };

export type ActionRefResult = { ok: true; ref: ActionRef } | { ok: false; error: string };

export const isSha = (ref: string) => /^[0-9a-f]{40}$/i.test(ref);

export function parseActionRef(uses: string): ActionRefResult {
  const u = uses.trim();
  if (u.startsWith("docker://")) return { ok: true, ref: { kind: "docker", image: u.slice(9) } };
  if (u.startsWith("./") || u === "." || u.startsWith("../"))
    return { ok: true, ref: { kind: "local", path: u } };
  const at = u.lastIndexOf("@");
  if (at <= 0 || at === u.length - 1)
    return {
      ok: false,
      error: `'${uses}' is not a valid action reference (expected owner/repo[/path]@ref, ./path or docker://image)`,
    };
  const parts = u.slice(0, at).split("/");
  if (parts.length < 2 || parts.some((p) => p === "" || p === "." || p === ".."))
    return { ok: false, error: `'${uses}' is not a valid action reference (expected owner/repo[/path]@ref)` };
  const [owner, repo, ...rest] = parts as [string, string, ...string[]];
  const path = rest.join("/");
  return {
    ok: true,
    ref: {
      kind: "remote",
      owner,
      repo,
      path,
      ref: u.slice(at + 1),
      name: [owner, repo, ...rest].join("/").toLowerCase(),
    },
  };
}
