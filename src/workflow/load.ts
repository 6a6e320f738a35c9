import { readFileSync, readdirSync, statSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from "@actions/workflow-parser";
import type { WorkflowTemplate } from "@actions/workflow-parser/model/workflow-template";
import type { TemplateContext } from "@actions/workflow-parser/templates/template-context";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import type { FileProvider } from "@actions/workflow-parser/workflows/file-provider";
import type { Diagnostic } from "./diagnostic.js";

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
  return context.errors.getErrors().map((e) => ({
    file,
    line: e.range?.start.line,
    col: e.range?.start.column,
    message: e.rawMessage,
  }));
}

/** Resolves `uses: ./.github/workflows/x.yml` for the converter, relative to the repository root. */
function localFileProvider(repoRoot: string): FileProvider {
  return {
    async getFileContent(ref) {
      const r = ref as unknown as { path?: string; repository?: string };
      if (!r.path || r.repository) throw new Error("remote reusable workflows are not available offline");
      const p = resolve(repoRoot, r.path);
      return { name: relative(repoRoot, p), content: readFileSync(p, "utf8") };
    },
  };
}

export async function loadWorkflowText(
  content: string,
  file: string,
  path: string,
  repoRoot: string,
): Promise<LoadedWorkflow> {
  const parsed = parseWorkflow({ name: file, content }, new NoOperationTraceWriter());
  let template: WorkflowTemplate | undefined;
  if (parsed.value && parsed.context.errors.count === 0) {
    template = await convertWorkflowTemplate(parsed.context, parsed.value, localFileProvider(repoRoot), {
      fetchReusableWorkflowDepth: 1,
    });
  }
  const diagnostics = diagnosticsOf(parsed.context, file);
  const nameTok = parsed.value && "find" in parsed.value ? (parsed.value as { find(k: string): TemplateToken | undefined }).find("name") : undefined;
  const name = nameTok && "value" in nameTok ? String((nameTok as { value: unknown }).value) : file;
  return { path, file, name, root: parsed.value, template: diagnostics.length ? undefined : template, diagnostics };
}

export async function loadWorkflow(path: string, repoRoot: string): Promise<LoadedWorkflow> {
  const file = relative(repoRoot, path) || basename(path);
  let content: string;
  try {
    content = readFileSync(path, "utf8");
  } catch (e) {
    const msg = (e as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : String((e as Error).message);
    return { path, file, name: file, root: undefined, template: undefined, diagnostics: [{ file, message: msg }] };
  }
  return loadWorkflowText(content, file, path, repoRoot);
}
