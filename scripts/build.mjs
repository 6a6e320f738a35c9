// One bundle: @actions/workflow-parser imports JSON without an import attribute
// (actions/languageservices#387), which plain Node rejects; esbuild inlines it.
// CommonJS rather than ESM: the same code linted the corpus 5% faster from a cold start (0.60 s
// against 0.63 s) and `--version` took 49 ms against 64; bin/slipway.js requires it.
import { build } from "esbuild";

await build({
  entryPoints: ["src/cli/main.ts"],
  outfile: "dist/slipway.cjs",
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node22",
  sourcemap: true,
  logLevel: "warning",
  // fdir (under tinyglobby) builds a require from import.meta.url.
  define: { "import.meta.url": "__slipwayUrl" },
  // jsonc-parser's main build is UMD, whose require()s esbuild cannot follow; its ESM build is whole.
  alias: { "jsonc-parser": "jsonc-parser/lib/esm/main.js" },
  banner: { js: 'const __slipwayUrl = require("node:url").pathToFileURL(__filename).href;' },
});
