import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { arch } from "node:os";
import { dirname, join, resolve } from "node:path";
import semver from "semver";
import { type Builtin, type BuiltinContext, StepError } from "../types.js";
import { coerce, home, type Installed, onPath, pick, probe, run, versionDirs } from "./toolchains.js";

const ARCH = arch() === "arm64" ? "arm64" : "x64";

function toolCache(ctx: BuiltinContext): string {
  return ctx.job.space.toolCache;
}

function readVersionFile(ctx: BuiltinContext, input: string, file: string): string {
  const p = resolve(ctx.workspace, file);
  if (!existsSync(p)) throw new StepError(`${input}: ${file} does not exist in the workspace`);
  return readFileSync(p, "utf8");
}

/** The version to look for: the input, else the version file, else "" (whatever is installed). */
function wanted(
  ctx: BuiltinContext,
  versionInput: string,
  fileInput: string,
  parse: (text: string, file: string) => string,
  defaultFile?: string,
): string {
  const v = ctx.inputs[versionInput] ?? "";
  const file = ctx.inputs[fileInput] ?? "";
  if (v.trim()) return v.trim().split("\n")[0]!.trim();
  if (file) return parse(readVersionFile(ctx, fileInput, file), file);
  if (defaultFile && existsSync(resolve(ctx.workspace, defaultFile)))
    return parse(readFileSync(resolve(ctx.workspace, defaultFile), "utf8"), defaultFile);
  return "";
}

function notFound(tool: string, spec: string, found: Installed[], where: string): StepError {
  const have = found.length ? found.map((f) => `${f.version} (${f.exe})`).join(", ") : "none";
  return new StepError(
    `${tool} ${spec || "(any version)"} is not installed on this machine, and Slipway does not download toolchains. Found: ${have}. Looked in: ${where}. Install it, or put it in ${where.split(", ").pop()}`,
  );
}

function pathOf(ctx: BuiltinContext): string {
  return ctx.processEnv().PATH ?? "";
}

/** A folder of links that puts exactly these names first on PATH, without shadowing a whole /usr/bin. */
function shimDir(
  ctx: BuiltinContext,
  name: string,
  links: Record<string, string>,
  scripts: Record<string, string> = {},
): string {
  const dir = join(ctx.job.space.temp, "_slipway_tools", name);
  mkdirSync(dir, { recursive: true });
  for (const [n, target] of Object.entries(links)) {
    const p = join(dir, n);
    if (!existsSync(p)) symlinkSync(target, p);
  }
  for (const [n, text] of Object.entries(scripts)) {
    writeFileSync(join(dir, n), text);
    chmodSync(join(dir, n), 0o755);
  }
  return dir;
}

// ---------------------------------------------------------------- node

const LTS: Record<string, number> = {
  argon: 4,
  boron: 6,
  carbon: 8,
  dubnium: 10,
  erbium: 12,
  fermium: 14,
  gallium: 16,
  hydrogen: 18,
  iron: 20,
  jod: 22,
  krypton: 24,
};

function nodeSpec(spec: string): string {
  const lts = /^lts\/(.+)$/i.exec(spec);
  if (!lts) return spec;
  const name = lts[1]!.toLowerCase();
  if (name === "*" || name === "-1") return "lts";
  if (LTS[name]) return String(LTS[name]);
  throw new StepError(`node-version '${spec}': unknown LTS name`);
}

function parseNodeFile(text: string, file: string): string {
  if (file.endsWith("package.json")) {
    const pkg = JSON.parse(text) as { volta?: { node?: string }; engines?: { node?: string } };
    return pkg.volta?.node ?? pkg.engines?.node ?? "";
  }
  const tv = /^(?:nodejs|node)\s+(\S+)/m.exec(text);
  if (file.endsWith(".tool-versions")) return tv?.[1] ?? "";
  return text.trim().split("\n")[0]!.trim();
}

export const setupNode: Builtin = {
  inputs: {
    "node-version": "",
    "node-version-file": "",
    architecture: "",
    "check-latest": "false",
    "registry-url": "",
    scope: "",
    cache: "",
    "cache-dependency-path": "",
    "always-auth": "false",
  },
  ignored: { token: "", mirror: "", "mirror-token": "", "package-manager-cache": "" },
  async run(ctx) {
    const spec = nodeSpec(wanted(ctx, "node-version", "node-version-file", parseNodeFile));
    const tc = toolCache(ctx);
    const h = home();
    const candidates = [
      ...onPath("node", pathOf(ctx)),
      process.execPath,
      ...versionDirs(join(tc, "node"), join(ARCH, "bin", "node")),
      ...versionDirs(join(h, ".nvm", "versions", "node"), "bin/node"),
      ...versionDirs(join(h, ".local", "share", "fnm", "node-versions"), "installation/bin/node"),
      ...versionDirs(join(h, ".volta", "tools", "image", "node"), "bin/node"),
    ];
    const found = probe(candidates, (exe) => coerce(run(exe, ["--version"]) ?? ""));
    const hit =
      spec === "lts"
        ? [...found]
            .sort((a, b) => semver.rcompare(a.version, b.version))
            .find((f) => semver.major(f.version) % 2 === 0)
        : pick(found, spec);
    if (!hit)
      throw notFound(
        "Node.js",
        spec,
        found,
        `PATH, ~/.nvm, fnm, volta, ${join(tc, "node", "<version>", ARCH)}`,
      );
    if (!spec) ctx.log("node-version is not set; using the Node.js on PATH");
    ctx.log(`Using the host's Node.js v${hit.version} (${hit.exe})`);
    ctx.addPath(dirname(hit.exe));
    if (ctx.inputs.cache)
      ctx.log(
        `cache: ${ctx.inputs.cache}: the built-in does not cache package manager folders; use actions/cache`,
      );
    if (ctx.inputs["registry-url"]) {
      const npmrc = join(ctx.job.space.temp, ".npmrc");
      let url = ctx.inputs["registry-url"];
      if (!url.endsWith("/")) url += "/";
      const scope = ctx.inputs.scope
        ? `${ctx.inputs.scope.startsWith("@") ? "" : "@"}${ctx.inputs.scope.toLowerCase()}:`
        : "";
      const authKey = url.replace(/^\w+:/, "");
      writeFileSync(
        npmrc,
        `${authKey}:_authToken=\${NODE_AUTH_TOKEN}\n${scope}registry=${url}\nalways-auth=${ctx.inputs["always-auth"]}\n`,
      );
      ctx.setEnv("NPM_CONFIG_USERCONFIG", npmrc);
      ctx.setEnv("NODE_AUTH_TOKEN", "XXXXX-XXXXX-XXXXX-XXXXX");
    }
    return { "node-version": `v${hit.version}`, "cache-hit": "false" };
  },
};

// ---------------------------------------------------------------- python

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
    const tc = toolCache(ctx);
    const pyenv = process.env.PYENV_ROOT ?? join(home(), ".pyenv");
    const candidates = [
      ...onPath("python3", pathOf(ctx)),
      ...onPath("python", pathOf(ctx)),
      ...versionDirs(join(pyenv, "versions"), "bin/python"),
      ...versionDirs(join(tc, "Python"), join(ARCH, "bin", "python")),
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
        `PATH, ${pyenv}/versions, ${join(tc, "Python", "<version>", ARCH)}`,
      );
    const prefix = run(hit.exe, ["-c", "import sys;print(sys.prefix)"]) ?? dirname(dirname(hit.exe));
    const exe = realpathSync(hit.exe);
    const mm = `${semver.major(hit.version)}.${semver.minor(hit.version)}`;
    ctx.log(`Using the host's Python ${hit.version} (${hit.exe})`);
    const pip = `#!/bin/sh\nexec "${exe}" -m pip "$@"\n`;
    const shims = shimDir(
      ctx,
      `python-${hit.version}`,
      { python: exe, python3: exe, [`python${mm}`]: exe },
      { pip, pip3: pip },
    );
    if (prefix !== "/usr" && prefix !== "/usr/local") ctx.addPath(join(prefix, "bin"));
    ctx.addPath(shims);
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

// ---------------------------------------------------------------- go

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
    const tc = toolCache(ctx);
    const h = home();
    const candidates = [
      ...onPath("go", pathOf(ctx)),
      "/usr/local/go/bin/go",
      ...versionDirs(join(h, "sdk"), "bin/go"),
      ...versionDirs(join(tc, "go"), join(ARCH, "bin", "go")),
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
      throw notFound("Go", spec, found, `PATH, /usr/local/go, ~/sdk, ${join(tc, "go", "<version>", ARCH)}`);
    ctx.log(`Using the host's Go ${hit.version} (${hit.exe})`);
    ctx.addPath(dirname(hit.exe));
    const gopath = run(hit.exe, ["env", "GOPATH"]);
    if (gopath) ctx.addPath(join(gopath, "bin"));
    return { "go-version": hit.version, "cache-hit": "false" };
  },
};

// ---------------------------------------------------------------- java

function javaVersion(exe: string): string | undefined {
  const out = run(exe, ["-version"]) ?? "";
  const m = /version "([^"]+)"/.exec(out);
  if (!m) return undefined;
  // 1.8.0_392 is Java 8.
  const v = m[1]!.startsWith("1.") ? m[1]!.slice(2).replace("_", ".") : m[1]!;
  return coerce(v.replace(/\+.*$/, ""));
}

export const setupJava: Builtin = {
  inputs: {
    "java-version": "",
    "java-version-file": "",
    distribution: "",
    "java-package": "jdk",
    architecture: "",
    "check-latest": "false",
    cache: "",
    "cache-dependency-path": "",
  },
  ignored: {
    "server-id": "",
    "server-username": "",
    "server-password": "",
    "settings-path": "",
    "overwrite-settings": "",
    "gpg-private-key": "",
    "gpg-passphrase": "",
    token: "",
    "job-status": "",
    jdkFile: "",
  },
  async run(ctx) {
    const spec = wanted(ctx, "java-version", "java-version-file", (t, f) =>
      f.endsWith(".tool-versions") ? (/^java\s+\D*(\S+)/m.exec(t)?.[1] ?? "") : t.trim().replace(/^\D+/, ""),
    );
    if (!ctx.inputs.distribution)
      ctx.warn("distribution is required by actions/setup-java; using whatever JDK the host has");
    const tc = toolCache(ctx);
    const candidates = [
      ...(process.env.JAVA_HOME ? [join(process.env.JAVA_HOME, "bin", "java")] : []),
      ...onPath("java", pathOf(ctx)),
      ...versionDirs("/usr/lib/jvm", "bin/java"),
      ...versionDirs("/Library/Java/JavaVirtualMachines", "Contents/Home/bin/java"),
      ...versionDirs(
        join(tc, `Java_${ctx.inputs.distribution || "Temurin-Hotspot"}_jdk`),
        join(ARCH, "bin", "java"),
      ),
    ];
    const found = probe(candidates, javaVersion);
    const hit = pick(found, /^\d+$/.test(spec) ? `${spec}.x` : spec);
    if (!hit) throw notFound("Java", spec, found, `JAVA_HOME, PATH, /usr/lib/jvm, ${tc}`);
    const javaHome = dirname(dirname(realpathSync(hit.exe)));
    ctx.log(
      `Using the host's Java ${hit.version} (${javaHome}); distribution '${ctx.inputs.distribution}' is not checked`,
    );
    ctx.addPath(join(javaHome, "bin"));
    ctx.setEnv("JAVA_HOME", javaHome);
    ctx.setEnv(`JAVA_HOME_${semver.major(hit.version)}_${ARCH.toUpperCase()}`, javaHome);
    return {
      distribution: ctx.inputs.distribution,
      version: hit.version,
      path: javaHome,
      "cache-hit": "false",
    };
  },
};

// ---------------------------------------------------------------- rust

export const rustToolchain: Builtin = {
  inputs: { toolchain: "", targets: "", target: "", components: "" },
  async run(ctx) {
    // dtolnay/rust-toolchain@stable names the toolchain in its ref; @master needs the input.
    const fromRef = /^(stable|beta|nightly|\d+\.\d+(\.\d+)?|nightly-\d{4}-\d{2}-\d{2})$/.test(ctx.ref)
      ? ctx.ref
      : "";
    const tc = ctx.inputs.toolchain || fromRef;
    if (!tc)
      throw new StepError(
        "'toolchain' input is required (or use dtolnay/rust-toolchain@stable and the like)",
      );
    const env = ctx.processEnv();
    const cargoBin = join(process.env.CARGO_HOME ?? join(home(), ".cargo"), "bin");
    const rustup = [...onPath("rustup", env.PATH ?? ""), join(cargoBin, "rustup")].find((p) => existsSync(p));
    if (!rustup)
      throw new StepError("rustup is not installed on this machine (Slipway does not download toolchains)");
    const installed = (run(rustup, ["toolchain", "list"], env) ?? "")
      .split("\n")
      .map((l) => l.split(" ")[0]!);
    // "1.75" matches an installed 1.75.x toolchain; "stable" matches stable-<host>.
    const name = installed.find(
      (t) => t === tc || t.startsWith(`${tc}-`) || (/^\d+\.\d+$/.test(tc) && t.startsWith(`${tc}.`)),
    );
    if (!name)
      throw new StepError(
        `Rust toolchain '${tc}' is not installed (installed: ${installed.filter(Boolean).join(", ") || "none"}); install it with 'rustup toolchain install ${tc}' (Slipway does not download toolchains)`,
      );
    const list = (what: string) =>
      (run(rustup, [what, "list", "--installed", "--toolchain", name], env) ?? "")
        .split("\n")
        .map((s) => s.trim());
    const components = ctx.inputs.components.split(/[\s,]+/).filter(Boolean);
    if (components.length) {
      const have = list("component");
      const missing = components.filter((c) => !have.some((h) => h === c || h.startsWith(`${c}-`)));
      if (missing.length)
        throw new StepError(
          `component(s) ${missing.join(", ")} not installed for ${name}; run 'rustup component add --toolchain ${name} ${missing.join(" ")}'`,
        );
    }
    const targets = `${ctx.inputs.targets} ${ctx.inputs.target}`.split(/[\s,]+/).filter(Boolean);
    if (targets.length) {
      const have = list("target");
      const missing = targets.filter((t) => !have.includes(t));
      if (missing.length)
        throw new StepError(
          `target(s) ${missing.join(", ")} not installed for ${name}; run 'rustup target add --toolchain ${name} ${missing.join(" ")}'`,
        );
    }
    const verbose = run(rustup, ["run", name, "rustc", "--version", "--verbose"], env) ?? "";
    const version = /^rustc (\S+)/m.exec(verbose)?.[1] ?? "";
    const date = /^commit-date: (\S+)/m.exec(verbose)?.[1]?.replace(/-/g, "") ?? "";
    const hash = /^commit-hash: (\S{12})/m.exec(verbose)?.[1] ?? "";
    ctx.log(
      `Using the host's Rust ${name} (rustc ${version}); RUSTUP_TOOLCHAIN is set for this job instead of changing your default`,
    );
    ctx.addPath(cargoBin);
    ctx.setEnv("RUSTUP_TOOLCHAIN", name);
    for (const [k, v] of [
      ["CARGO_INCREMENTAL", "0"],
      ["CARGO_TERM_COLOR", "always"],
    ] as const)
      if (!(k in ctx.job.env)) ctx.setEnv(k, v);
    return { cachekey: `${date}${hash}`, name };
  },
};

// ---------------------------------------------------------------- uv

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
    ].filter((p) => existsSync(p));
    const found = probe(candidates, (exe) => coerce((run(exe, ["--version"]) ?? "").replace(/^uv\s+/, "")));
    const hit = pick(found, spec);
    if (!hit) throw notFound("uv", spec, found, "PATH, ~/.local/bin, ~/.cargo/bin");
    ctx.log(`Using the host's uv ${hit.version} (${hit.exe})`);
    ctx.addPath(dirname(hit.exe));
    if (ctx.inputs["python-version"]) ctx.setEnv("UV_PYTHON", ctx.inputs["python-version"]);
    const uvx = join(dirname(hit.exe), "uvx");
    return {
      "uv-version": hit.version,
      "uv-path": hit.exe,
      "uvx-path": existsSync(uvx) ? uvx : "",
      "cache-hit": "false",
    };
  },
};
