// `pip install black`, `npm i -g prettier`, `cargo install just`, `go install x@latest` in a run:
// step fetch whatever version is newest at that moment; a compromised release runs in the job at
// once. Requirement files, lock files, local paths and exact versions are left alone.
import { type AuditContext, report, scriptsOf } from "./context.js";

interface Install {
  /** Index in the segment's words of the first argument after the command. */
  from: number;
  tool: string;
  /** Options whose value is the next word. */
  valued: Set<string>;
  pinned: (arg: string, words: string[]) => boolean;
}

const PIP_VALUED = new Set([
  "-r",
  "--requirement",
  "-c",
  "--constraint",
  "-e",
  "--editable",
  "-i",
  "--index-url",
  "--extra-index-url",
  "-t",
  "--target",
  "--prefix",
  "--root",
  "-f",
  "--find-links",
  "--python-version",
  "--platform",
  "--only-binary",
  "--no-binary",
  "--src",
  "--upgrade-strategy",
  "-C",
  "--config-settings",
  "--python",
  "-p",
  "--implementation",
  "--abi",
  "--group",
]);
const BOOTSTRAP = new Set(["pip", "setuptools", "wheel", "uv"]);
const pipPinned = (arg: string) =>
  /===?|@/.test(arg) || BOOTSTRAP.has(arg.toLowerCase().replace(/\[.*$/, ""));
// `npm i -g npm` updates the package manager itself, as `pip install -U pip` does.
const npmPinned = (arg: string) => /^@?[^@]+@\d+\.\d+\.\d+\S*$/.test(arg) || arg === "npm";

/** The install a segment's words start with, if any. */
function installOf(w: string[]): Install | undefined {
  let i = 0;
  while (w[i] === "sudo" || w[i]?.startsWith("-")) i++;
  const a = w[i]?.replace(/^.*\//, "");
  const b = w[i + 1];
  const c = w[i + 2];
  if (a === undefined) return undefined;
  const pip = { valued: PIP_VALUED, pinned: pipPinned };
  if (/^pip3?(\.\d+)?$/.test(a) && b === "install") return { from: i + 2, tool: "pip", ...pip };
  if (/^python[\d.]*$/.test(a) && b === "-m" && /^pip3?$/.test(c ?? "") && w[i + 3] === "install")
    return { from: i + 4, tool: "pip", ...pip };
  if (a === "uv" && (b === "pip" || b === "tool") && c === "install")
    return { from: i + 3, tool: `uv ${b}`, ...pip };
  if (a === "pipx" && b === "install") return { from: i + 2, tool: "pipx", ...pip };
  if ((a === "npm" || a === "pnpm") && /^(i|install|add)$/.test(b ?? "")) {
    if (!w.slice(i + 2).some((x) => x === "-g" || x === "--global")) return undefined;
    return { from: i + 2, tool: `${a} -g`, valued: new Set(["--prefix", "--registry"]), pinned: npmPinned };
  }
  if (a === "yarn" && b === "global" && c === "add")
    return { from: i + 3, tool: "yarn global", valued: new Set(["--prefix"]), pinned: npmPinned };
  if (a === "cargo" && b === "install") {
    const rest = w.slice(i + 2);
    if (rest.some((x) => /^--(version|vers|path|git|rev|tag)(=|$)/.test(x))) return undefined;
    return {
      from: i + 2,
      tool: "cargo install",
      valued: new Set([
        "--root",
        "--index",
        "--registry",
        "--features",
        "-F",
        "--target",
        "--profile",
        "--bin",
        "--example",
        "-j",
        "--jobs",
        "--config",
        "--branch",
      ]),
      pinned: (x) => /@\d/.test(x),
    };
  }
  if (a === "gem" && b === "install") {
    if (w.slice(i + 2).some((x) => /^(-v|--version)(=|$)/.test(x))) return undefined;
    return {
      from: i + 2,
      tool: "gem install",
      valued: new Set(["-i", "--install-dir", "-n", "--bindir", "--source", "-s"]),
      pinned: (x) => /:\d/.test(x), // gem install rake:13.2.1
    };
  }
  if (a === "go" && b === "install")
    return {
      from: i + 2,
      tool: "go install",
      valued: new Set(["-tags", "-ldflags", "-gcflags", "-o", "-mod", "-modfile", "-p"]),
      // No @version: the main module's own package (its go.mod pins it).
      pinned: (x) => !x.includes("@") || /@v\d/.test(x),
    };
  return undefined;
}

const LOCAL = /^(\.|\/|~|\$|\{|file:|https?:|git\+)|\.(whl|tar\.gz|zip|tgz)$/;

/** Unpinned package arguments of one command, with their offsets in `seg`. */
function unpinned(seg: string): { tool: string; pkg: string; at: number }[] {
  // An expression is one word (its value is unknown): `pip install ${{ env.PKG }}`.
  const plain = seg.includes("${{")
    ? seg.replace(/\$\{\{.*?\}\}/g, (e) => `$${"_".repeat(e.length - 1)}`)
    : seg;
  const words: { w: string; at: number }[] = [];
  for (const m of plain.matchAll(/\S+/g)) words.push({ w: m[0].replace(/^["']|["']$/g, ""), at: m.index });
  const w = words.map((x) => x.w);
  const inst = installOf(w);
  // --no-index: only from local wheel folders (--find-links), nothing from the index.
  if (!inst || w.includes("--no-index") || w.includes("--offline")) return [];
  const out: { tool: string; pkg: string; at: number }[] = [];
  for (let k = inst.from; k < w.length; k++) {
    const x = w[k]!;
    if (x.startsWith("-")) {
      if (inst.valued.has(x)) k++;
      continue;
    }
    if (x === "" || LOCAL.test(x) || x.includes("${{") || (x.includes("/") && inst.tool.startsWith("pip")))
      continue;
    if (!/^[@\w]/.test(x) || inst.pinned(x, w)) continue;
    out.push({ tool: inst.tool, pkg: x, at: words[k]!.at });
  }
  return out;
}

/** A line that may install: a tool name, then install/add/i later on the line. */
const HINT = /\b(pip3?|pipx|uv|npm|pnpm|yarn|cargo|go|gem)\b[^\n]*?\s(install|add|i)\b/;

export function checkAdhocPackages(ctx: AuditContext): void {
  if (!HINT.test(ctx.src.text)) return;
  for (const step of ctx.steps) {
    for (const { node, lang } of scriptsOf(step)) {
      if (lang !== "shell" || !node.range) continue;
      const raw = ctx.src.text.slice(node.range[0], node.range[1]);
      if (!HINT.test(raw)) continue;
      let lineStart = 0;
      for (const line of raw.split("\n")) {
        if (HINT.test(line)) flagLine(ctx, line, node.range[0] + lineStart);
        lineStart += line.length + 1;
      }
    }
  }
}

function flagLine(ctx: AuditContext, line: string, base: number): void {
  const code = line.replace(/(^|\s)#.*$/, "");
  let segStart = 0;
  // Odd items are the separators, kept so offsets add up.
  for (const [n, seg] of code.split(/(&&|\|\||[;|])/).entries()) {
    if (n % 2 === 0) {
      for (const u of unpinned(seg)) {
        const at = base + segStart + u.at;
        report(ctx, "adhoc-packages", at, `${u.tool} ${u.pkg} installs whatever version is newest today`, {
          end: at + u.pkg.length,
        });
      }
    }
    segStart += seg.length;
  }
}
