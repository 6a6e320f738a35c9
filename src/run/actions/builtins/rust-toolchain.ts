import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { type Builtin, type BuiltinContext, StepError } from "../types.js";
import { companions, useTool } from "./tool-path.js";
import { home, onPath, run } from "./toolchains.js";

/** What `dtolnay/rust-toolchain@<ref>` with its inputs asks for. */
export interface RustRequest {
  toolchain: string;
  components: string[];
  targets: string[];
  /** Set when the ref fixes the toolchain and the `toolchain` input is not an input of that ref. */
  ignoredToolchain?: string;
}

const list = (s: string | undefined) => (s ?? "").split(/[\s,]+/).filter(Boolean);

/**
 * The action's branches preset its inputs (its scripts/update-revs.sh): @stable, @beta and
 * @nightly default `toolchain` to their name; @1.N and @1.N.M drop the input and fix the toolchain;
 * @clippy and @miri are @nightly with `components` defaulting to `clippy` and `miri, rust-src`.
 * A given input replaces a default, as GitHub does with an input's default.
 */
export function rustRequest(
  ref: string,
  inputs: Record<string, string>,
  now = new Date(),
): RustRequest | { error: string } {
  const given = inputs.toolchain?.trim() ?? "";
  const targets = list(`${inputs.targets ?? ""} ${inputs.target ?? ""}`);
  const components = (fallback: string) => list(inputs.components?.trim() ? inputs.components : fallback);
  if (/^1\.\d+(\.\d+)?$/.test(ref))
    return {
      toolchain: ref,
      components: components(""),
      targets,
      ...(given && given !== ref ? { ignoredToolchain: given } : {}),
    };
  const presets: Record<string, [string, string]> = {
    stable: ["stable", ""],
    beta: ["beta", ""],
    nightly: ["nightly", ""],
    clippy: ["nightly", "clippy"],
    miri: ["nightly", "miri, rust-src"],
  };
  // nightly-YYYY-MM-DD is no branch of the action, but says what it means.
  const preset = presets[ref] ?? (/^nightly-\d{4}-\d{2}-\d{2}$/.test(ref) ? [ref, ""] : undefined);
  const toolchain = relativeStable(given, now) || given || preset?.[0];
  if (!toolchain)
    return {
      error: `'toolchain' input is required: dtolnay/rust-toolchain@${ref} does not name a toolchain (use @stable, @beta, @nightly, @1.N, @clippy or @miri, or give toolchain:)`,
    };
  return { toolchain, components: components(preset?.[1] ?? ""), targets };
}

const DAY = 86_400_000;

/** The minor version of the stable release out on a day: 1.0 came on 2015-05-15 (day 16569), then one every six weeks. */
function stableMinor(at: Date): number {
  return Math.floor((Math.floor(at.getTime() / DAY) - 16569) / 42);
}

/** `now` moved back n calendar days, weeks, months or years, as `date --date "n months ago"` does. */
function before(now: Date, n: number, unit: string): Date {
  const d = new Date(now);
  if (unit === "year") d.setUTCFullYear(d.getUTCFullYear() - n);
  else if (unit === "month") d.setUTCMonth(d.getUTCMonth() - n);
  else d.setUTCDate(d.getUTCDate() - n * (unit === "week" ? 7 : 1));
  return d;
}

/**
 * The action's relative toolchains: "stable 6 months ago" and "stable minus 2 releases" name the
 * stable release of that time.
 */
export function relativeStable(toolchain: string, now: Date): string | undefined {
  const ago = /^stable (\d+) (day|week|month|year)s? ago$/.exec(toolchain);
  if (ago) return `1.${stableMinor(before(now, Number(ago[1]), ago[2]!))}`;
  const minus = /^stable minus (\d+) releases?$/.exec(toolchain);
  if (minus) return `1.${stableMinor(now) - Number(minus[1])}`;
  return undefined;
}

/** rustup's proxies in ~/.cargo/bin: linked first on PATH so a distribution's /usr/bin/cargo does not win. */
const PROXIES = [
  "rustup",
  "rustc",
  "rustdoc",
  "cargo",
  "cargo-clippy",
  "clippy-driver",
  "cargo-fmt",
  "rustfmt",
  "cargo-miri",
  "rust-gdb",
  "rust-gdbgui",
  "rust-lldb",
  "rust-analyzer",
];

function installedToolchain(rustup: string, wantName: string, env: Record<string, string>): string {
  const installed = (run(rustup, ["toolchain", "list"], env) ?? "").split("\n").map((l) => l.split(" ")[0]!);
  // "1.75" matches an installed 1.75.x toolchain; "stable" matches stable-<host>.
  const name = installed.find(
    (t) =>
      t === wantName ||
      t.startsWith(`${wantName}-`) ||
      (/^\d+\.\d+$/.test(wantName) && t.startsWith(`${wantName}.`)),
  );
  if (!name)
    throw new StepError(
      `Rust toolchain '${wantName}' is not installed (installed: ${installed.filter(Boolean).join(", ") || "none"}); install it with 'rustup toolchain install ${wantName}' (Slipway does not download toolchains)`,
    );
  return name;
}

function checkInstalled(
  rustup: string,
  name: string,
  env: Record<string, string>,
  what: "component" | "target",
  want: string[],
): void {
  if (!want.length) return;
  const have = (run(rustup, [what, "list", "--installed", "--toolchain", name], env) ?? "")
    .split("\n")
    .map((s) => s.trim());
  const missing = want.filter(
    (c) => !have.some((h) => h === c || (what === "component" && h.startsWith(`${c}-`))),
  );
  if (missing.length)
    throw new StepError(
      `${what}(s) ${missing.join(", ")} not installed for ${name}; run 'rustup ${what} add --toolchain ${name} ${missing.join(" ")}'`,
    );
}

function rustup(ctx: BuiltinContext, cargoBin: string): string {
  const found = [...onPath("rustup", ctx.processEnv().PATH ?? ""), join(cargoBin, "rustup")].find((p) =>
    existsSync(p),
  );
  if (!found)
    throw new StepError("rustup is not installed on this machine (Slipway does not download toolchains)");
  return found;
}

export const rustToolchain: Builtin = {
  inputs: { toolchain: "", targets: "", target: "", components: "" },
  async run(ctx) {
    const req = rustRequest(ctx.ref, ctx.inputs);
    if ("error" in req) throw new StepError(req.error);
    if (req.ignoredToolchain)
      ctx.warn(
        `dtolnay/rust-toolchain@${ctx.ref} has no 'toolchain' input (the ref is the toolchain); '${req.ignoredToolchain}' is ignored`,
      );
    const env = ctx.processEnv();
    const cargoBin = join(process.env.CARGO_HOME ?? join(home(), ".cargo"), "bin");
    const exe = rustup(ctx, cargoBin);
    const name = installedToolchain(exe, req.toolchain, env);
    checkInstalled(exe, name, env, "component", req.components);
    checkInstalled(exe, name, env, "target", req.targets);
    const verbose = run(exe, ["run", name, "rustc", "--version", "--verbose"], env) ?? "";
    const version = /^rustc (\S+)/m.exec(verbose)?.[1] ?? "";
    const date = /^commit-date: (\S+)/m.exec(verbose)?.[1]?.replace(/-/g, "") ?? "";
    const hash = /^commit-hash: (\S{12})/m.exec(verbose)?.[1] ?? "";
    const rustc = run(exe, ["which", "--toolchain", name, "rustc"], env) ?? "";
    const shims = useTool(ctx, `rust-${name}`, companions(join(cargoBin, "rustup"), PROXIES), {
      ownDirs: [cargoBin],
    });
    ctx.log(
      `Using Rust ${name}: rustc ${version}${rustc ? ` (${rustc})` : ""}${req.components.length ? `, components ${req.components.join(", ")}` : ""}${req.targets.length ? `, targets ${req.targets.join(", ")}` : ""}`,
    );
    // The action runs `rustup default`, which a toolchain file in the repository overrides;
    // RUSTUP_TOOLCHAIN (this job only, not your default) would override the file, so it is left unset then.
    const file = ["rust-toolchain.toml", "rust-toolchain"].find((f) => existsSync(join(ctx.workspace, f)));
    if (file)
      ctx.log(
        `${file} in the workspace chooses the toolchain where it applies, as on GitHub; put first on PATH: ${shims}`,
      );
    else {
      ctx.log(
        `RUSTUP_TOOLCHAIN is set for this job instead of changing your default; put first on PATH: ${shims}`,
      );
      ctx.setEnv("RUSTUP_TOOLCHAIN", name);
    }
    ctx.setEnv("CARGO_HOME", dirname(cargoBin));
    for (const [k, v] of [
      ["CARGO_INCREMENTAL", "0"],
      ["CARGO_TERM_COLOR", "always"],
    ] as const)
      if (!(k in ctx.job.env)) ctx.setEnv(k, v);
    return { cachekey: `${date}${hash}`, name };
  },
};
