import { dirname, join } from "node:path";
import semver from "semver";
import type { Builtin } from "../types.js";
import { companions, useTool } from "./tool-path.js";
import { coerce, home, onPath, pick, probe, run, versionDirs } from "./toolchains.js";
import { ARCH, notFound, pathOf, wanted } from "./version-input.js";

function parseGoMod(text: string, file: string): string {
  if (file.endsWith(".tool-versions")) return /^golang\s+(\S+)/m.exec(text)?.[1] ?? "";
  const toolchain = /^toolchain\s+go(\S+)/m.exec(text)?.[1];
  const go = /^go\s+(\S+)/m.exec(text)?.[1];
  if (file.endsWith("go.mod") || file.endsWith("go.work")) return toolchain ?? go ?? "";
  return text.trim();
}

export const setupGo: Builtin = {
  inputs: {
    "go-version": "",
    "go-version-file": "",
    "check-latest": "false",
    cache: "true",
    "cache-dependency-path": "",
    architecture: "",
  },
  ignored: { token: "" },
  async run(ctx) {
    const spec = wanted(ctx, "go-version", "go-version-file", parseGoMod);
    const tc = ctx.job.space.toolCache;
    const candidates = [
      ...versionDirs(join(tc, "go"), join(ARCH, "bin", "go")),
      ...onPath("go", pathOf(ctx)),
      "/usr/local/go/bin/go",
      ...versionDirs(join(home(), "sdk"), "bin/go"),
    ];
    const found = probe(candidates, (exe) =>
      coerce((run(exe, ["env", "GOVERSION"]) ?? "").replace(/^go/, "")),
    );
    // "1.22" means the newest 1.22.x; "stable"/"oldstable" the installed ones.
    const hit =
      spec === "oldstable"
        ? [...found].sort((a, b) => semver.rcompare(a.version, b.version))[1]
        : pick(found, spec);
    if (!hit)
      throw notFound("Go", spec, found, `${join(tc, "go", "<version>", ARCH)}, PATH, /usr/local/go, ~/sdk`);
    // GOPATH/bin holds what `go install` builds; GitHub's setup-go puts it on PATH too.
    const gopath = run(hit.exe, ["env", "GOPATH"]);
    const shims = useTool(
      ctx,
      `go-${hit.version}`,
      { go: hit.exe, ...companions(hit.exe, ["gofmt"]) },
      { ownDirs: [dirname(hit.exe), ...(gopath ? [join(gopath, "bin")] : [])] },
    );
    ctx.log(`Using Go ${hit.version}: ${hit.exe}`);
    ctx.log(`Put first on PATH: ${shims}`);
    return { "go-version": hit.version, "cache-hit": "false" };
  },
};
