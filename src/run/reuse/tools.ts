// What the setup steps of a job would choose from on this machine, as a fingerprint for its
// reuse key: a tool installed, removed or upgraded (nvm, pyenv, rustup update, a new tool-cache
// version, another binary on PATH) gives the job a new key. Only names, sizes and times are
// read (no tool is started: a version probe costs milliseconds per candidate).
import { createHash } from "node:crypto";
import { readdirSync, realpathSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";

interface Places {
  /** Folders whose entries are installed versions (the tool cache's, version managers'). */
  roots: string[];
  /** Executables looked up on PATH. */
  bins: string[];
  /** Executables at fixed places. */
  files?: string[];
}

function places(action: string, toolCache: string, env: NodeJS.ProcessEnv): Places | undefined {
  const h = homedir();
  switch (action) {
    case "actions/setup-node":
      return {
        roots: [
          join(toolCache, "node"),
          join(h, ".nvm", "versions", "node"),
          join(h, ".local", "share", "fnm", "node-versions"),
          join(h, ".volta", "tools", "image", "node"),
        ],
        bins: ["node"],
      };
    case "actions/setup-python":
      return {
        roots: [join(toolCache, "Python"), join(env.PYENV_ROOT ?? join(h, ".pyenv"), "versions")],
        bins: ["python3", "python"],
      };
    case "actions/setup-go":
      return { roots: [join(toolCache, "go"), join(h, "sdk")], bins: ["go"] };
    case "actions/setup-java":
      return {
        roots: [toolCache, "/usr/lib/jvm"],
        bins: ["java"],
        files: env.JAVA_HOME ? [join(env.JAVA_HOME, "bin", "java")] : [],
      };
    case "dtolnay/rust-toolchain":
    case "actions-rs/toolchain":
      return {
        roots: [join(env.RUSTUP_HOME ?? join(h, ".rustup"), "toolchains")],
        bins: ["rustup", "cargo", "rustc"],
        files: [join(env.CARGO_HOME ?? join(h, ".cargo"), "bin", "rustup")],
      };
    case "astral-sh/setup-uv":
      return {
        roots: [],
        bins: ["uv"],
        files: [join(h, ".local", "bin", "uv"), join(h, ".cargo", "bin", "uv")],
      };
  }
  return undefined;
}

/** The setup actions a job's steps use (owner/name, lower case), read from its body's text. */
export function setupActions(bodyText: string): string[] {
  const re =
    /"(actions\/setup-(?:node|python|go|java)|dtolnay\/rust-toolchain|actions-rs\/toolchain|astral-sh\/setup-uv)@/gi;
  return [...new Set([...bodyText.matchAll(re)].map((m) => m[1]!.toLowerCase()))].sort();
}

const stat = (p: string) => {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
};

/** A binary as its real path, size and time; undefined when there is none. */
const stamp = (p: string): string | undefined => {
  try {
    const real = realpathSync(p);
    const s = statSync(real);
    return `${real} ${s.size} ${s.mtimeMs}`;
  } catch {
    return undefined;
  }
};

/** Per run: each action's fingerprint is read once, whatever number of jobs use it. */
export class ToolPrints {
  private memo = new Map<string, string>();

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  /** action → fingerprint (hex) for the setup actions in the job's body text. */
  of(bodyText: string, toolCache: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const a of setupActions(bodyText)) out[a] = this.print(a, toolCache);
    return out;
  }

  private print(action: string, toolCache: string): string {
    const id = `${action}\0${toolCache}`;
    const hit = this.memo.get(id);
    if (hit) return hit;
    const p = places(action, toolCache, this.env);
    const lines: string[] = [];
    for (const root of p?.roots ?? []) {
      let names: string[] = [];
      try {
        names = readdirSync(root).sort();
      } catch {
        continue;
      }
      // A version folder updated in place (rustup update stable) has a new time.
      for (const n of names) lines.push(`${root}/${n} ${stat(join(root, n))?.mtimeMs ?? 0}`);
    }
    const path = (this.env.PATH ?? "").split(delimiter).filter(Boolean);
    for (const b of p?.bins ?? []) for (const d of path) lines.push(`${b}: ${stamp(join(d, b)) ?? ""}`);
    for (const f of p?.files ?? []) lines.push(`${f}: ${stamp(f) ?? ""}`);
    const print = createHash("sha256").update(lines.join("\n")).digest("hex");
    this.memo.set(id, print);
    return print;
  }
}
