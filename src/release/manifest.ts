// The manifests of a repository, read once: what packages they declare and at which version.
import { readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { git } from "./git.js";
import { type JsonDoc, parseJson } from "./json-doc.js";
import { type BadFile, isBad, type Span } from "./span.js";
import { parseToml, type TomlDoc } from "./toml-doc.js";

export type Ecosystem = "cargo" | "npm" | "python";

export interface Pkg {
  name: string;
  ecosystem: Ecosystem;
  /** The manifest, relative to the repository root. */
  file: string;
  /** Its folder ("" for the root). */
  dir: string;
  /** The version it is released as (a crate's inherited workspace version, a maturin project's crate version). */
  version?: string;
  /** Where the version is written in `file`; undefined when it comes from elsewhere. */
  at?: Span;
  /** Where the version really lives when not in `file` (`Cargo.toml` for maturin). */
  from?: string;
}

/** A place a version is written: a package's own, a workspace's shared one, a requirement, a lock entry. */
export interface Place {
  at: Span & { value: string };
  kind: "version" | "requirement" | "lock";
  /** The packages (`ecosystem:name`) whose version goes here; a shared workspace version has several. */
  owners: string[];
  /** What it is, for people: `workspace.package.version`, `dependencies.core`. */
  what: string;
  /** Written as PEP 440 (1.2.0rc1), as Python tools normalize it. */
  pep440?: boolean;
}

export const pkgId = (p: { ecosystem: Ecosystem; name: string }) => `${p.ecosystem}:${p.name}`;

export interface Manifests {
  root: string;
  toml: TomlDoc[];
  json: JsonDoc[];
  packages: Pkg[];
  places: Place[];
  /** What was deliberately left alone and why. */
  notes: string[];
}

const NAMES = new Set([
  "Cargo.toml",
  "Cargo.lock",
  "package.json",
  "package-lock.json",
  "pyproject.toml",
  "uv.lock",
]);
// Copies and test data, not packages of this repository.
const SKIP = /(^|\/)(node_modules|target|vendor|fixtures|testdata|\.git)\//;

/** Every manifest git knows of (tracked, or new and not ignored), parsed; the first bad file stops it. */
export function readManifests(root: string): Omit<Manifests, "packages" | "places" | "notes"> | BadFile {
  const listed = git(root, ["ls-files", "-z", "--cached", "--others", "--exclude-standard"]).split("\0");
  const files = [...new Set(listed)].filter((f) => NAMES.has(basename(f)) && !SKIP.test(f)).sort(byDepth);
  const toml: TomlDoc[] = [];
  const json: JsonDoc[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(join(root, file), "utf8");
    } catch {
      continue; // listed but deleted in the working tree
    }
    const doc = file.endsWith(".json") ? parseJson(file, text) : parseToml(file, text);
    if (isBad(doc)) return doc;
    if ("entries" in doc) toml.push(doc);
    else json.push(doc);
  }
  return { root, toml, json };
}

function byDepth(a: string, b: string): number {
  return a.split("/").length - b.split("/").length || a.localeCompare(b);
}

export function dirOf(file: string): string {
  const d = dirname(file);
  return d === "." ? "" : d;
}

export function named(docs: TomlDoc[] | JsonDoc[], name: string) {
  return (docs as (TomlDoc | JsonDoc)[]).filter((d) => basename(d.file) === name);
}

export function obj(x: unknown): Record<string, unknown> | undefined {
  return typeof x === "object" && x !== null && !Array.isArray(x)
    ? (x as Record<string, unknown>)
    : undefined;
}
