import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { type ExperimentalFeatures, FeatureFlags } from "@actions/expressions/features";
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from "@actions/workflow-parser";
import { convertReferencedWorkflow } from "@actions/workflow-parser/model/converter/referencedWorkflow";
import { isReusableWorkflowJob } from "@actions/workflow-parser/model/type-guards";
import type { WorkflowTemplate } from "@actions/workflow-parser/model/workflow-template";
import {
  TemplateContext,
  TemplateValidationErrors,
} from "@actions/workflow-parser/templates/template-context";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import type { FileProvider } from "@actions/workflow-parser/workflows/file-provider";
import { parseFileReference } from "@actions/workflow-parser/workflows/file-reference";
import type { Document, LineCounter } from "yaml";
import { findOrFetch } from "../action-store/fetch.js";
import { parseActionRef } from "../action-store/ref.js";
import { addHint, defaultStore, findInStore } from "../action-store/store.js";
import { lexMessage } from "../expr/lex-message.js";
import type { Diagnostic } from "./diagnostic.js";
import { parseYaml } from "./fast-yaml.js";
import { fixWorkflowIfs } from "./if-blocks.js";
import { insideRoot, OutsideRepository } from "./inside-root.js";
import { parseWorkflowFast, readParsed } from "./parsed-reader.js";
import { workflowSchema } from "./schema.js";
import {
  checkReusable,
  checkSource,
  checkTree,
  decodeWorkflow,
  type Limits,
  lfBreaks,
  MAX_FILE_BYTES,
  type PermissionsPolicy,
  type ReadWorkflow,
} from "./validate.js";

export interface LoadOptions {
  /** In-memory called workflows keyed by the reference as written in `uses:` ("owner/repo/path@ref" or "./path"). */
  files?: Record<string, string>;
  limits?: Partial<Limits>;
  /** Default GITHUB_TOKEN permissions of the repository; without it, permissions of called workflows are only checked against explicit caller permissions. */
  permissionsPolicy?: PermissionsPolicy;
  /** GitHub's experimental workflow features, e.g. `allowBackgroundSteps`. */
  features?: ExperimentalFeatures;
  /** Where remote called workflows are found offline; default: the action store `slipway run` uses. */
  actionStore?: string;
  /** Fetch remote called workflows missing from the action store into it (unless SLIPWAY_OFFLINE): run and plan do, lint does not. */
  fetchMissing?: boolean;
  /** Told what was fetched, for the user to see where the time went. */
  onFetched?: (text: string) => void;
}

export interface LoadedWorkflow {
  /** Absolute path. */
  path: string;
  /** Path as shown to the user (relative to the repository root). */
  file: string;
  name: string;
  /** Raw token tree: the typed model drops keys we need (with, shell, defaults...). */
  root: TemplateToken | undefined;
  template: WorkflowTemplate | undefined;
  diagnostics: Diagnostic[];
}

const WORKFLOW_EXT = /\.ya?ml$/;
const MISSING_CALLEE = "Unable to find reusable workflow";

/** Workflow files under `.github/workflows` of `root`, or the file/dir given with -W. */
export function discoverWorkflows(root: string, target?: string): string[] {
  const where = resolve(root, target ?? ".github/workflows");
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(where);
  } catch {
    return [];
  }
  if (st.isFile()) return [where];
  return readdirSync(where)
    .filter((f) => WORKFLOW_EXT.test(f))
    .sort()
    .map((f) => join(where, f))
    .filter((f) => statSync(f).isFile());
}

export function diagnosticsOf(context: TemplateContext, file: string): Diagnostic[] {
  return context.errors.getErrors().map((e) => {
    // The prefix names the file (errors in a called workflow carry its name) and GitHub's position
    // (the token's start, which for an expression inside a string differs from e.range).
    const m = /^(.*?)(?: \(Line: (\d+), Col: (\d+)\))?$/.exec(e.prefix ?? "");
    return {
      file: m?.[1] || file,
      line: m?.[2] ? Number(m[2]) : e.range?.start.line,
      col: m?.[3] ? Number(m[3]) : e.range?.start.column,
      message: lexMessage(e.rawMessage),
    };
  });
}

/**
 * Reads a called workflow: in-memory files first, then `./` paths relative to the repository root,
 * then `owner/repo/path@ref` from the offline action store, where `slipway run` finds it too.
 */
function workflowReader(repoRoot: string, files: Record<string, string> = {}, store?: string): ReadWorkflow {
  return (ref) => {
    const mem = files[ref];
    if (mem !== undefined) return { name: ref, content: mem };
    if (!ref.startsWith("./")) return fromStore(store ?? defaultStore(), ref);
    // A committed link or `..` must not make the repository's workflows read files outside it.
    if (insideRoot(repoRoot, ref) === "outside") return undefined;
    const p = resolve(repoRoot, ref);
    try {
      return { name: relative(repoRoot, p), content: lfBreaks(readFileSync(p, "utf8")) };
    } catch {
      return undefined;
    }
  };
}

function fromStore(store: string, ref: string): { name: string; content: string } | undefined {
  const r = parseActionRef(ref);
  if (!r.ok || r.ref.kind !== "remote" || !r.ref.path) return undefined;
  const hit = findInStore(store, r.ref.owner, r.ref.repo, r.ref.ref);
  if (!hit.ok) return undefined;
  try {
    return { name: ref, content: lfBreaks(readFileSync(join(hit.dir, r.ref.path), "utf8")) };
  } catch {
    return undefined;
  }
}

/** What convertWorkflowTemplate does with fetchReusableWorkflowDepth 1, with parseWorkflowFast. */
async function convertCallees(context: TemplateContext, template: WorkflowTemplate, provider: FileProvider) {
  for (const job of template.jobs ?? []) {
    if (!isReusableWorkflowJob(job)) continue;
    try {
      const file = await provider.getFileContent(parseFileReference(job.ref.value));
      const workflow = parseWorkflowFast(file, context);
      if (workflow.value) {
        fixWorkflowIfs(workflow.value);
        convertReferencedWorkflow(context, workflow.value, job);
      }
    } catch (e) {
      context.error(job.ref, e instanceof OutsideRepository ? e : new Error(MISSING_CALLEE));
    }
  }
  const errors = context.errors.getErrors();
  if (errors.length > 0) template.errors = errors.map((e) => ({ Message: e.message }));
}

function providerOf(
  read: ReadWorkflow,
  repoRoot: string,
  options: LoadOptions,
  fetchErrors: Map<string, string>,
): FileProvider {
  return {
    async getFileContent(ref) {
      const r = ref as { path: string; owner?: string; repository?: string; version?: string };
      const id = r.repository ? `${r.owner}/${r.repository}/${r.path}@${r.version}` : `./${r.path}`;
      let f = read(id);
      if (!f && r.repository && r.owner && r.version && options.fetchMissing) {
        // Fetched here, before the checks that read called workflows synchronously.
        const got = await findOrFetch(
          r.owner,
          r.repository,
          r.version,
          `'${id}'`,
          options.actionStore ?? defaultStore(),
        );
        if (!got.ok) fetchErrors.set(id, got.error);
        else if (got.fetchedFrom)
          options.onFetched?.(
            `fetched ${id} (${got.meta?.commit}) from ${got.fetchedFrom} into the action store`,
          );
        f = read(id);
      }
      if (!f && !r.repository && insideRoot(repoRoot, id) === "outside") throw new OutsideRepository(id);
      if (!f) throw new Error(`reusable workflow not available: ${id}`);
      return f;
    },
  };
}

/** A workflow's text, loaded as `slipway run` and lint load it (the fast YAML reader first). */
export function loadWorkflowText(
  content: string,
  file: string,
  path: string,
  repoRoot: string,
  options: LoadOptions = {},
): Promise<LoadedWorkflow> {
  const { doc, lines } = parseYaml(content);
  return loadWorkflowDocument(content, doc, lines, file, path, repoRoot, options);
}

/** The package's own parseWorkflow over the text: for YAML errors (its messages) and for tests. */
export function loadWithPackageParser(
  content: string,
  file: string,
  path: string,
  repoRoot: string,
  options: LoadOptions = {},
): Promise<LoadedWorkflow> {
  return loadWith(
    (context) => parseWorkflow({ name: file, content }, context),
    content,
    file,
    path,
    repoRoot,
    options,
  );
}

/**
 * As loadWorkflowText, for a caller that has already parsed the text (parseYaml: the fast reader or
 * the yaml package with the reader's options, `lines` as its line counter): GitHub's reader reads
 * that document instead of parsing again. A document with YAML errors is parsed again so that the
 * messages are exactly the package's.
 */
export function loadWorkflowDocument(
  content: string,
  doc: Document.Parsed,
  lines: LineCounter,
  file: string,
  path: string,
  repoRoot: string,
  options: LoadOptions = {},
): Promise<LoadedWorkflow> {
  if (doc.errors.length) return loadWithPackageParser(content, file, path, repoRoot, options);
  return loadWith(
    (context) => readParsed(context, file, doc, lines),
    content,
    file,
    path,
    repoRoot,
    options,
    {
      doc,
      lines,
    },
  );
}

type Parse = (context: TemplateContext) => { context: TemplateContext; value: TemplateToken | undefined };

async function loadWith(
  parse: Parse,
  content: string,
  file: string,
  path: string,
  repoRoot: string,
  options: LoadOptions,
  parsedDoc?: { doc: Document.Parsed; lines: LineCounter },
): Promise<LoadedWorkflow> {
  const failed = (diagnostics: Diagnostic[]): LoadedWorkflow => ({
    path,
    file,
    name: file,
    root: undefined,
    template: undefined,
    diagnostics,
  });
  // Size, binary content, alias bombs, tags and depth: checked before the package walks the YAML.
  const early = checkSource(content, file, options.limits, parsedDoc);
  if (early.length) return failed(early);
  const flags = new FeatureFlags(options.features);
  const context = new TemplateContext(
    new TemplateValidationErrors(),
    workflowSchema(),
    new NoOperationTraceWriter(),
  );
  context.state.featureFlags = flags; // read by the template reader (background steps) before conversion
  const parsed = parse(context);
  const read = workflowReader(repoRoot, options.files, options.actionStore);
  const fetchErrors = new Map<string, string>();
  let template: WorkflowTemplate | undefined;
  if (parsed.value && parsed.context.errors.count === 0) {
    fixWorkflowIfs(parsed.value);
    // Called workflows are fetched here rather than by the package, so their YAML takes the fast
    // reader too (the package would parse each one again for every caller).
    template = await convertWorkflowTemplate(parsed.context, parsed.value, undefined, {
      fetchReusableWorkflowDepth: 0,
      featureFlags: flags,
    });
    await convertCallees(parsed.context, template, providerOf(read, repoRoot, options, fetchErrors));
  }
  // A file-wide error (an empty file, only comments) points at its start: every error has a place.
  const diagnostics = diagnosticsOf(parsed.context, file).map((d) =>
    withStoreHint(
      d.line === undefined && d.file === file ? { ...d, line: 1, col: 1 } : d,
      content,
      fetchErrors,
    ),
  );
  if (parsed.value) {
    diagnostics.push(...checkTree(parsed.value, file, options.limits));
    if (diagnostics.every(isMissingCallee))
      diagnostics.push(...checkReusable(parsed.value, file, read, options));
  }
  const nameTok =
    parsed.value && "find" in parsed.value
      ? (parsed.value as { find(k: string): TemplateToken | undefined }).find("name")
      : undefined;
  const name = nameTok && "value" in nameTok ? String((nameTok as { value: unknown }).value) : file;
  return {
    path,
    file,
    name,
    root: parsed.value,
    // A called workflow that is not at hand fails only the job that calls it (at run time, with
    // this message): the other jobs stay planned and runnable.
    template: diagnostics.every(isMissingCallee) ? template : undefined,
    diagnostics,
  };
}

/** The loader's error for a `uses:` whose workflow cannot be read (not in the store, no such file). */
export function isMissingCallee(d: Diagnostic): boolean {
  return d.message.startsWith(MISSING_CALLEE);
}

/** The package says only "Unable to find reusable workflow"; for a remote one, say how to add it. */
function withStoreHint(d: Diagnostic, content: string, fetchErrors: Map<string, string>): Diagnostic {
  if (d.message !== MISSING_CALLEE || !d.line) return d;
  const uses = /uses:\s*['"]?([^\s'"#]+)/.exec(content.split("\n")[d.line - 1] ?? "")?.[1];
  const m = uses && /^([^./][^/]*)\/([^/]+)\/.+@(.+)$/.exec(uses);
  if (!m) return d;
  const fetchError = fetchErrors.get(uses);
  if (fetchError) return { ...d, message: `${d.message}: ${fetchError}` };
  return {
    ...d,
    message: `${d.message}: '${uses}' is not in the offline action store; add it with: ${addHint(m[1]!, m[2]!, m[3]!)}`,
  };
}

export async function loadWorkflow(
  path: string,
  repoRoot: string,
  options: LoadOptions = {},
): Promise<LoadedWorkflow> {
  const file = relative(repoRoot, path) || basename(path);
  const failed = (message: string, at?: { line: number; col: number }): LoadedWorkflow => ({
    path,
    file,
    name: file,
    root: undefined,
    template: undefined,
    diagnostics: [{ file, ...at, message }],
  });
  let bytes: Buffer;
  try {
    // Checked before reading so a huge file is never pulled into memory.
    const size = statSync(path).size;
    if (size > MAX_FILE_BYTES)
      return failed(`file is ${size} bytes, over the ${MAX_FILE_BYTES}-byte limit for a workflow`);
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return failed(code === "ENOENT" ? "file not found" : String((e as Error).message));
  }
  const text = decodeWorkflow(bytes);
  if (!("content" in text)) return failed(text.message, text.at);
  // One YAML parse for the source checks and GitHub's reader (a file with syntax errors
  // takes the package's own path, for its messages).
  return loadWorkflowText(text.content, file, path, repoRoot, options);
}
