import { join } from "node:path";
import type { Builtin } from "../types.js";
import { companions, useTool } from "./tool-path.js";
import { coerce, home, onPath, pick, probe, run } from "./toolchains.js";
import { notFound, pathOf, wanted } from "./version-input.js";

export const setupUv: Builtin = {
  inputs: {
    version: "",
    "version-file": "",
    "python-version": "",
    "enable-cache": "auto",
    "activate-environment": "false",
    "working-directory": "",
  },
  ignored: {
    "github-token": "",
    "cache-dependency-glob": "",
    "cache-suffix": "",
    "cache-local-path": "",
    "prune-cache": "",
    "ignore-nothing-to-cache": "",
    "ignore-empty-workdir": "",
    "tool-dir": "",
    "tool-bin-dir": "",
    checksum: "",
    "server-url": "",
    "manifest-file": "",
    "save-cache": "",
    "restore-cache": "",
    "cache-python": "",
  },
  async run(ctx) {
    const spec = wanted(
      ctx,
      "version",
      "version-file",
      (t) => /required-version\s*=\s*"([^"]+)"/.exec(t)?.[1] ?? /uv[=<>~]=?\s*([\d.]+)/.exec(t)?.[1] ?? "",
    );
    const h = home();
    const candidates = [
      ...onPath("uv", pathOf(ctx)),
      join(h, ".local", "bin", "uv"),
      join(h, ".cargo", "bin", "uv"),
    ];
    const found = probe(candidates, (exe) => coerce((run(exe, ["--version"]) ?? "").replace(/^uv\s+/, "")));
    const hit = pick(found, spec);
    if (!hit) throw notFound("uv", spec, found, "PATH, ~/.local/bin, ~/.cargo/bin");
    const uvx = companions(hit.exe, ["uvx"]).uvx;
    // uv's folder is usually ~/.local/bin or ~/.cargo/bin, shared with other tools: links only.
    const shims = useTool(ctx, `uv-${hit.version}`, { uv: hit.exe, ...(uvx ? { uvx } : {}) });
    ctx.log(`Using uv ${hit.version}: ${hit.exe}`);
    ctx.log(`Put first on PATH: ${shims}`);
    if (ctx.inputs["python-version"]) ctx.setEnv("UV_PYTHON", ctx.inputs["python-version"]);
    return {
      "uv-version": hit.version,
      "uv-path": hit.exe,
      "uvx-path": uvx ?? "",
      "cache-hit": "false",
    };
  },
};
