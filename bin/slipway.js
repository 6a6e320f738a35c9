#!/usr/bin/env node
import module from "node:module";

// Checked before the bundle loads: on an older Node it would die on the first missing API
// (e.g. Map.groupBy) with a message that says nothing about the cause.
const major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  process.stderr.write(`slipway: Slipway needs Node.js 22 or newer (found ${process.versions.node})\n`);
  process.exit(1);
}
// V8 keeps the compiled bundle on disk (Node >= 22.1): start-up drops by about 60 ms.
module.enableCompileCache?.();
module.createRequire(import.meta.url)("../dist/slipway.cjs");
