// Writes src/workflow/workflow-schema.snapshot.json from the installed @actions/workflow-parser:
// run after updating the package (schema.test.ts says when).
import { writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";

const here = join(import.meta.dirname, "..");
const out = join(await mkdtemp(join(tmpdir(), "slipway-schema-")), "gen.mjs");
await build({
  stdin: {
    contents:
      'import { schemaFromJson } from "./src/workflow/schema-json.ts"; import { snapshotOf } from "./src/workflow/schema-snapshot.ts"; export default snapshotOf(schemaFromJson());',
    resolveDir: here,
    loader: "ts",
  },
  outfile: out,
  bundle: true,
  platform: "node",
  format: "esm",
  logLevel: "warning",
});
const { default: snapshot } = await import(out);
writeFileSync(join(here, "src/workflow/workflow-schema.snapshot.json"), `${JSON.stringify(snapshot)}\n`);
console.log(
  `wrote src/workflow/workflow-schema.snapshot.json (${Object.keys(snapshot.definitions).length} definitions)`,
);
