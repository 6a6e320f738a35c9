// Every lint rule id with its default severity and a one-line description (SARIF rule metadata,
// `slipway lint --help`).
import type { Severity } from "./finding.js";

export interface RuleDoc {
  severity: Severity;
  description: string;
}

export const LINT_RULES = {
  syntax: { severity: "error", description: "YAML syntax or workflow schema error" },
  config: { severity: "error", description: "invalid .slipway.yml configuration" },
  "expression-syntax": { severity: "error", description: "expression cannot be parsed" },
  "unknown-context": { severity: "error", description: "expression reads a context that does not exist" },
  "unknown-property": {
    severity: "error",
    description: "expression reads a property the context does not have",
  },
  "context-availability": {
    severity: "error",
    description: "context or function not available in this field",
  },
  "needs-unknown-job": { severity: "error", description: "needs names a job that does not exist" },
  "needs-cycle": { severity: "error", description: "jobs need each other in a cycle" },
  "needs-not-declared": {
    severity: "error",
    description: "needs.<job> read without listing the job in needs",
  },
  "job-output-undefined": {
    severity: "error",
    description: "output read from a job that does not declare it",
  },
  "job-output-unused": { severity: "warning", description: "job output that nothing reads" },
  "step-undefined": { severity: "error", description: "steps.<id> read where no earlier step has that id" },
  "matrix-key-undefined": { severity: "error", description: "matrix key read but not defined in the matrix" },
  "if-always-true": {
    severity: "warning",
    description: "if: condition with text around its ${{ }}, which makes it always true",
  },
  "matrix-expansion": {
    severity: "error",
    description: "matrix that expands to more than 256 jobs (GitHub's limit) or to none",
  },
  "runner-label": {
    severity: "error",
    description:
      "runs-on label (or matrix value it reads) no known runner has; a warning if named like a hosted image",
  },
  "deprecated-command": { severity: "error", description: "workflow command GitHub disabled" },
  "deprecated-action": { severity: "warning", description: "action version running on a retired Node.js" },
  shellcheck: { severity: "warning", description: "shellcheck finding in a run: script" },
  "filter-glob": { severity: "error", description: "invalid branch, tag or path filter pattern" },
  cron: { severity: "error", description: "invalid or surprising schedule cron" },
  "input-undefined": { severity: "error", description: "input read but not declared" },
  "reusable-workflow": {
    severity: "error",
    description: "call to a local reusable workflow does not match its inputs, secrets or outputs",
  },
  "shell-name": {
    severity: "error",
    description: "shell: that is no known shell and no command template with {0}",
  },
  "env-var-name": {
    severity: "error",
    description: "environment variable name that is empty or holds '=' or whitespace",
  },
  "if-constant": {
    severity: "warning",
    description: "if: that reads nothing: always false (never runs) or always true (info)",
  },
  "matrix-duplicate": { severity: "warning", description: "value listed twice in a matrix row or include" },
  "max-parallel": {
    severity: "error",
    description: "strategy.max-parallel that is not a whole number of 1 or more",
  },
  "input-default": {
    severity: "error",
    description: "workflow input default outside its choice options, or not of its number or boolean type",
  },
  "docker-image-tag": {
    severity: "warning",
    description: "uses: docker:// image without a tag (latest) or with an empty one",
  },
  "action-input": {
    severity: "error",
    description: "with: key the action does not take, or a required input (without default) not given",
  },
  "deprecated-input": {
    severity: "warning",
    description: "with: gives an input the action marks deprecated",
  },
  "action-output": {
    severity: "error",
    description: "steps.<id>.outputs.<name> that the step's action does not declare",
  },
  "expression-format": {
    severity: "error",
    description: "format() whose placeholders and arguments do not match (unused arguments: warning)",
  },
  "expression-type": {
    severity: "error",
    description:
      "object (github.event, needs.<job>, steps.<id>.outputs...) compared with a string, number or boolean",
  },
  "unused-anchor": { severity: "warning", description: "YAML anchor that no alias uses" },
} satisfies Record<string, RuleDoc>;

export type LintRuleId = keyof typeof LINT_RULES;
