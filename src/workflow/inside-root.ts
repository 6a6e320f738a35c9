import { realpathSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";

/**
 * Where `path` (relative to `root`) lands once `..` and symbolic links are resolved:
 * `uses: ./x`, a committed link and `./.github/workflows/../../x.yml` must not load
 * files from outside the repository. "missing" when it does not exist (a dangling link
 * included), so callers keep their own not-found message.
 */
export function insideRoot(root: string, path: string): "inside" | "outside" | "missing" {
  const abs = resolve(root, path);
  if (!within(root, abs)) return "outside";
  let real: string;
  try {
    real = realpathSync(abs);
  } catch {
    return "missing";
  }
  let realRoot = root;
  try {
    realRoot = realpathSync(root);
  } catch {}
  return within(realRoot, real) ? "inside" : "outside";
}

function within(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** A `uses: ./…` that leaves the repository, as the loader reports it at the uses: line. */
export class OutsideRepository extends Error {
  constructor(uses: string) {
    super(`'${uses}' leads outside the repository (through '..' or a symbolic link); it is not read`);
  }
}
