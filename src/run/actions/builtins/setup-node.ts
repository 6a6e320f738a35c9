import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import semver from "semver";
import { type Builtin, type BuiltinContext, StepError } from "../types.js";
import { companions, packageVersion, useTool } from "./tool-path.js";
import { coerce, home, type Installed, onPath, pick, probe, run, versionDirs } from "./toolchains.js";
import { ARCH, notFound, pathOf, wanted } from "./version-input.js";

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

/** The installation to use; among equal versions the earlier candidate (the tool cache first, as on GitHub). */
function choose(ctx: BuiltinContext, spec: string): Installed {
  const tc = ctx.job.space.toolCache;
  const h = home();
  const candidates = [
    ...versionDirs(join(tc, "node"), join(ARCH, "bin", "node")),
    ...onPath("node", pathOf(ctx)),
    ...versionDirs(join(h, ".nvm", "versions", "node"), "bin/node"),
    ...versionDirs(join(h, ".local", "share", "fnm", "node-versions"), "installation/bin/node"),
    ...versionDirs(join(h, ".volta", "tools", "image", "node"), "bin/node"),
    process.execPath,
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
      `${join(tc, "node", "<version>", ARCH)}, PATH, ~/.nvm, fnm, volta`,
    );
  return hit;
}

function writeNpmrc(ctx: BuiltinContext): void {
  const npmrc = join(ctx.job.space.temp, ".npmrc");
  let url = ctx.inputs["registry-url"]!;
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
  // On GitHub npm trades the job's OIDC token for a publish token (trusted publishing); a local
  // run has none, so a secret NPM_TOKEN given to the job stands in for it.
  const token = String((ctx.job.contexts.secrets as Record<string, unknown> | undefined)?.NPM_TOKEN ?? "");
  if (token)
    ctx.log("NODE_AUTH_TOKEN is the secret NPM_TOKEN (slipway run has no OIDC token for trusted publishing)");
  ctx.setEnv("NODE_AUTH_TOKEN", token || "XXXXX-XXXXX-XXXXX-XXXXX");
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
    const hit = choose(ctx, spec);
    if (!spec) ctx.log("node-version is not set; using the newest Node.js found");
    // npm and npx from this installation: another one's npm may refuse this Node.js.
    const own = companions(hit.exe, ["npm", "npx", "corepack"]);
    const shims = useTool(
      ctx,
      `node-${hit.version}`,
      { node: hit.exe, ...own },
      { ownDirs: [dirname(hit.exe)] },
    );
    ctx.log(`Using Node.js v${hit.version}: ${hit.exe}`);
    for (const [n, p] of Object.entries(own)) {
      const v = packageVersion(p);
      ctx.log(`Using ${n}${v ? ` ${v}` : ""}: ${p}`);
    }
    if (!own.npm) {
      const other = onPath("npm", pathOf(ctx))[0];
      const v = other && packageVersion(other);
      ctx.warn(
        `Node.js v${hit.version} (${hit.exe}) has no npm beside it; npm comes from the rest of PATH: ${other ? `${other}${v ? ` (npm ${v})` : ""}, which may not support this Node.js` : "none"}`,
      );
    }
    ctx.log(`Put first on PATH: ${shims}`);
    if (ctx.inputs.cache)
      ctx.log(
        `cache: ${ctx.inputs.cache}: the built-in does not cache package manager folders; use actions/cache`,
      );
    if (ctx.inputs["registry-url"]) writeNpmrc(ctx);
    return { "node-version": `v${hit.version}`, "cache-hit": "false" };
  },
};
