import { existsSync, readFileSync } from "node:fs";
import { arch } from "node:os";
import { resolve } from "node:path";
import { type BuiltinContext, StepError } from "../types.js";
import type { Installed } from "./toolchains.js";

/** The tool cache's architecture folder name, as actions/tool-cache writes it. */
export const ARCH = arch() === "arm64" ? "arm64" : "x64";

function readVersionFile(ctx: BuiltinContext, input: string, file: string): string {
  const p = resolve(ctx.workspace, file);
  if (!existsSync(p)) throw new StepError(`${input}: ${file} does not exist in the workspace`);
  return readFileSync(p, "utf8");
}

/** The version to look for: the input, else the version file, else "" (whatever is installed). */
export function wanted(
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

/** Where to put a toolchain: the first place searched (the tool cache, where there is one). */
function installHint(where: string): string {
  const first = where.split(", ")[0]!;
  return first === "PATH" ? "Install it on PATH." : `Install it, or unpack it into ${first}.`;
}

export function notFound(tool: string, spec: string, found: Installed[], where: string): StepError {
  const have = found.length ? found.map((f) => `${f.version} (${f.exe})`).join(", ") : "none";
  return new StepError(
    `${tool} ${spec || "(any version)"} is not installed on this machine, and Slipway does not download toolchains. Found: ${have}. Looked in: ${where}. ${installHint(where)}`,
  );
}

export function pathOf(ctx: BuiltinContext): string {
  return ctx.processEnv().PATH ?? "";
}
