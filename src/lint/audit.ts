// `slipway audit` as a library: security rules over every workflow and local action under .github/
// (or the given paths), minus inline `# slipway-ignore: rule` (or zizmor's `# zizmor: ignore[rule]`)
// comments and .slipway.yml ignores.
import { basename, relative, resolve } from "node:path";
import { defaultStore } from "../action-store/store.js";
import { loadConfig } from "./config.js";
import { type Finding, sortFindings } from "./finding.js";
import { discover } from "./index.js";
import { aliasBomb, readInput } from "./input.js";
import { type WorkflowModel, workflowModel } from "./model.js";
import { checkArtifacts } from "./rules-security/artifacts.js";
import { checkBotConditions } from "./rules-security/bot-conditions.js";
import { checkCachePoisoning } from "./rules-security/cache.js";
import { checkUntrustedCheckout } from "./rules-security/checkout.js";
import { type AuditContext, type ForbiddenUses, stepsOf } from "./rules-security/context.js";
import { checkCurlPipe } from "./rules-security/curl-pipe.js";
import { auditDependabot } from "./rules-security/dependabot.js";
import type { Persona } from "./rules-security/docs.js";
import { checkGithubEnv } from "./rules-security/github-env.js";
import { checkHardcodedSecrets } from "./rules-security/hardcoded.js";
import {
  checkAnonymousDefinitions,
  checkConcurrencyLimits,
  checkUndocumentedPermissions,
} from "./rules-security/hygiene.js";
import { auditSuppressor } from "./rules-security/ignore.js";
import { checkUnpinnedImages } from "./rules-security/images.js";
import { checkTemplateInjection } from "./rules-security/injection.js";
import { checkInsecureCommands } from "./rules-security/insecure-commands.js";
import { checkMisfeatures, checkObfuscation } from "./rules-security/obfuscation.js";
import { checkAdhocPackages } from "./rules-security/packages.js";
import { checkPermissions } from "./rules-security/permissions.js";
import { checkPinning } from "./rules-security/pinning.js";
import { checkLongLivedTokens } from "./rules-security/publishing.js";
import { checkSelfHosted } from "./rules-security/runners.js";
import { checkSecrets } from "./rules-security/secrets.js";
import { checkSecretsContext } from "./rules-security/secrets-context.js";
import { checkSecretsOutsideEnv } from "./rules-security/secrets-outside-env.js";
import { checkDangerousTriggers } from "./rules-security/triggers.js";
import { checkTyposquat } from "./rules-security/typosquat.js";
import { checkUnsoundCondition } from "./rules-security/unsound-condition.js";
import { checkUnsoundContains } from "./rules-security/unsound-contains.js";
import {
  checkArchivedUses,
  checkForbiddenUses,
  checkSuperfluousActions,
} from "./rules-security/uses-lists.js";
import { parseSource, posAt, type SourceFile } from "./source.js";

export interface AuditOptions {
  /** Action store for checking SHA version comments; default: the shared store. */
  store?: string;
  /** Which findings to show (zizmor's personas); default regular. */
  persona?: Persona;
}

export interface AuditResult {
  findings: Finding[];
  sources: Map<string, string>;
  missing: string[];
  /** Files that are not workflow text at all (binary, not UTF-8, too big, alias bombs): exit 2. */
  unreadable: string[];
  files: number;
}

const RULES = [
  checkTemplateInjection,
  checkUntrustedCheckout,
  checkPermissions,
  checkPinning,
  checkSecrets,
  checkArtifacts,
  checkCachePoisoning,
  checkSelfHosted,
  checkLongLivedTokens,
  checkCurlPipe,
  checkHardcodedSecrets,
  checkInsecureCommands,
  checkSecretsContext,
  checkBotConditions,
  checkUnsoundContains,
  checkUnsoundCondition,
  checkGithubEnv,
  checkUnpinnedImages,
  checkTyposquat,
  checkAdhocPackages,
  checkDangerousTriggers, // after checkUntrustedCheckout: its findings set the severity
  checkSecretsOutsideEnv,
  checkConcurrencyLimits,
  checkAnonymousDefinitions,
  checkUndocumentedPermissions,
  checkArchivedUses,
  checkForbiddenUses,
  checkSuperfluousActions,
  checkObfuscation,
  checkMisfeatures,
];

/** Audits one file's text; `file` is the path shown to the user. */
export function auditText(
  text: string,
  file: string,
  opts: {
    root?: string;
    store?: string;
    action?: boolean;
    persona?: Persona;
    forbiddenUses?: ForbiddenUses;
  } = {},
): Finding[] {
  return auditSource(parseSource(text, file, file, opts.action ? "action" : "workflow"), opts);
}

/** Audits a parsed file: `slipway lint --audit` hands over the document lint parsed. */
/** `model`: the file's workflow model when the caller (lint --audit) has built it already. */
export function auditSource(
  src: SourceFile,
  opts: {
    root?: string;
    store?: string;
    model?: WorkflowModel;
    /** Store reads shared by the files of one run. */
    storeSeen?: Map<string, string | undefined>;
    persona?: Persona;
    forbiddenUses?: ForbiddenUses | undefined;
  } = {},
): Finding[] {
  const { file, text } = src;
  const ctx: AuditContext = {
    root: opts.root ?? ".",
    src,
    model: undefined,
    steps: [],
    store: opts.store,
    storeSeen: opts.storeSeen ?? new Map(),
    findings: [],
    persona: opts.persona ?? "regular",
    forbiddenUses: opts.forbiddenUses,
  };
  if (src.doc.errors.length > 0) {
    const e = src.doc.errors[0]!;
    const p = posAt(src, e.pos[0]);
    const message = `cannot audit: ${e.message.split("\n")[0]}`;
    return [{ rule: "syntax", severity: "error", message, file, line: p.line, col: p.col } satisfies Finding];
  }
  if (src.kind === "workflow") ctx.model = opts.model ?? workflowModel(src);
  ctx.steps = stepsOf(src, ctx.model);
  for (const rule of RULES) rule(ctx);
  const suppressed = auditSuppressor(text);
  const seen = new Set<string>();
  return ctx.findings.filter((f) => {
    const k = `${f.rule}:${f.line}:${f.col}`;
    if (seen.has(k) || suppressed(f)) return false;
    seen.add(k);
    return true;
  });
}

export async function auditRepo(
  root: string,
  paths?: string[],
  opts: AuditOptions = {},
): Promise<AuditResult> {
  root = resolve(root);
  const store = opts.store ?? defaultStore();
  const { config } = loadConfig(root);
  const { files, missing, loops, dependabot } = await discover(root, paths);
  const persona = opts.persona ?? "regular";
  const sources = new Map<string, string>();
  const findings: Finding[] = [];
  const unreadable: string[] = [...loops];
  const storeSeen = new Map<string, string | undefined>();
  for (const path of files) {
    const file = relative(root, path) || basename(path);
    const input = readInput(path, file);
    if ("problem" in input) {
      unreadable.push(input.problem);
      continue;
    }
    const action = /^action\.ya?ml$/.test(basename(path));
    const src = parseSource(input.text, file, file, action ? "action" : "workflow");
    const bomb = aliasBomb(src);
    if (bomb) {
      unreadable.push(bomb);
      continue;
    }
    sources.set(file, input.text);
    const forbiddenUses = config.forbiddenUses;
    for (const f of auditSource(src, { root, store, storeSeen, persona, forbiddenUses }))
      if (!config.ignore.get(f.rule)?.(f.file)) findings.push(f);
  }
  for (const path of dependabot) {
    const file = relative(root, path) || basename(path);
    const input = readInput(path, file);
    if ("problem" in input) {
      unreadable.push(input.problem);
      continue;
    }
    sources.set(file, input.text);
    for (const f of auditDependabot(input.text, file, persona))
      if (!config.ignore.get(f.rule)?.(f.file)) findings.push(f);
  }
  sortFindings(findings);
  return { findings, sources, missing, unreadable, files: files.length + dependabot.length };
}
