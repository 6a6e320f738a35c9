// An action store holding every action `slipway init` uses, at the first ref it asks for, so
// init pins offline in tests. The commits are the test's own (a hash of the name), not GitHub's.
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ACTIONS } from "../../src/init/pins.js";

export function initStore(): string {
  const store = mkdtempSync(join(tmpdir(), "slipway-init-store-"));
  for (const [action, refs] of Object.entries(ACTIONS)) {
    const ref = refs[0]!;
    const dir = join(store, action, ref);
    mkdirSync(dir, { recursive: true });
    const commit = createHash("sha1").update(`${action}@${ref}`).digest("hex");
    writeFileSync(
      join(dir, ".slipway-action.json"),
      JSON.stringify({
        commit,
        source: `https://github.com/${action}`,
        refKind: ref.startsWith("v") ? "tag" : "branch",
      }),
    );
  }
  return store;
}
