import { realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import semver from "semver";
import { type Builtin, StepError } from "../types.js";
import { useTool } from "./tool-path.js";
import { coerce, home, onPath, pick, probe, run, versionDirs } from "./toolchains.js";
import { ARCH, notFound, pathOf, wanted } from "./version-input.js";

export const setupPython: Builtin = {
  inputs: {
    "python-version": "",
    "python-version-file": "",
    architecture: "",
    "check-latest": "false",
    cache: "",
    "cache-dependency-path": "",
    "update-environment": "true",
    "allow-prereleases": "false",
    freethreaded: "false",
  },
  ignored: { token: "", "pip-version": "", "pip-install": "" },
  async run(ctx) {
    const spec = wanted(
      ctx,
      "python-version",
      "python-version-file",
      (t) => t.trim().split(/\s+/)[0] ?? "",
      ".python-version",
    );
    if (/^(pypy|graalpy)/i.test(spec))
      throw new StepError(`python-version '${spec}': only CPython installed on this machine is used`);
    const tc = ctx.job.space.toolCache;
    const pyenv = process.env.PYENV_ROOT ?? join(home(), ".pyenv");
    const candidates = [
      ...versionDirs(join(tc, "Python"), join(ARCH, "bin", "python")),
      ...onPath("python3", pathOf(ctx)),
      ...onPath("python", pathOf(ctx)),
      ...versionDirs(join(pyenv, "versions"), "bin/python"),
    ];
    const found = probe(candidates, (exe) =>
      coerce(run(exe, ["-c", "import sys;print('%d.%d.%d'%sys.version_info[:3])"]) ?? ""),
    );
    const hit = pick(found, spec.replace(/-dev$/, ""));
    if (!hit)
      throw notFound(
        "Python",
        spec,
        found,
        `${join(tc, "Python", "<version>", ARCH)}, PATH, ${pyenv}/versions`,
      );
    const prefix = run(hit.exe, ["-c", "import sys;print(sys.prefix)"]) ?? dirname(dirname(hit.exe));
    const exe = realpathSync(hit.exe);
    const mm = `${semver.major(hit.version)}.${semver.minor(hit.version)}`;
    const pip = `#!/bin/sh\nexec "${exe}" -m pip "$@"\n`;
    // Scripts pip installs land in <prefix>/bin: on PATH behind the links, unless already there.
    const shims = useTool(
      ctx,
      `python-${hit.version}`,
      { python: exe, python3: exe, [`python${mm}`]: exe },
      { ownDirs: [join(prefix, "bin")], scripts: { pip, pip3: pip } },
    );
    ctx.log(`Using Python ${hit.version}: ${hit.exe}${exe !== hit.exe ? ` (${exe})` : ""}`);
    ctx.log(`Using pip: ${exe} -m pip`);
    ctx.log(`Put first on PATH: ${shims}`);
    if (ctx.inputs["update-environment"] !== "false") {
      ctx.setEnv("pythonLocation", prefix);
      ctx.setEnv("PKG_CONFIG_PATH", join(prefix, "lib", "pkgconfig"));
      ctx.setEnv("Python_ROOT_DIR", prefix);
      ctx.setEnv("Python2_ROOT_DIR", prefix);
      ctx.setEnv("Python3_ROOT_DIR", prefix);
    }
    if (ctx.inputs.cache)
      ctx.log(
        `cache: ${ctx.inputs.cache}: the built-in does not cache package manager folders; use actions/cache`,
      );
    return { "python-version": hit.version, "python-path": join(shims, "python"), "cache-hit": "false" };
  },
};
