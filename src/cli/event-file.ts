import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Json } from "../expr/index.js";
import { Masker } from "../run/mask.js";

/**
 * The event payload's file. Steps read it (GITHUB_EVENT_PATH) as given; the run folder keeps
 * it too, and the run folder is an output, masked like every other: when the payload holds
 * a secret's value, steps get the real file in the run's temporary folder (removed when the
 * run ends) and the run folder a masked copy.
 */
export function eventFile(
  folderDir: string,
  runId: string,
  payload: Json,
  secrets: Record<string, string>,
): { path: string; write(): void } {
  const text = JSON.stringify(payload, null, 2);
  const masker = new Masker();
  for (const v of Object.values(secrets)) masker.add(v);
  const masked = masker.mask(text);
  const saved = join(folderDir, "event.json");
  if (masked === text) return { path: saved, write: () => writeFileSync(saved, text) };
  // The same folder run-execute.ts makes and removes for the run's temporary files.
  const work = join(tmpdir(), `slipway-${runId}`);
  const real = join(work, "event.json");
  return {
    path: real,
    write: () => {
      writeFileSync(saved, masked);
      mkdirSync(work, { recursive: true });
      writeFileSync(real, text, { mode: 0o600 });
    },
  };
}
