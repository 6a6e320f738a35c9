// Every audit rule: id, default severity, what it finds and the usual one-line fix. Findings may
// carry a more specific fix; this one is the fallback and the SARIF/help text.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: GitHub expression text, not JS templates
import type { Confidence, Severity } from "../finding.js";

/**
 * zizmor's personas: regular (the default) shows actionable findings; pedantic adds code smells;
 * auditor shows everything, including what needs a human to judge.
 */
export type Persona = "regular" | "pedantic" | "auditor";
export const PERSONAS: readonly Persona[] = ["regular", "pedantic", "auditor"];
export const PERSONA_RANK: Record<Persona, number> = { regular: 0, pedantic: 1, auditor: 2 };

/**
 * zizmor's severities map to Slipway's levels: high -> error, medium and low -> warning,
 * informational -> info. A rule's findings may be lower (or higher) when the case calls for it.
 */
export interface AuditRuleDoc {
  severity: Severity;
  description: string;
  fix: string;
  /** The least persona that shows the rule; regular when absent. */
  persona?: Persona;
  /** Default confidence of the rule's findings; high when absent. */
  confidence?: Confidence;
}

export const AUDIT_RULES = {
  "template-injection": {
    severity: "error",
    description: "attacker-controlled expression expanded inside a script",
    fix: 'pass the value through env: (e.g. env: TITLE: ${{ ... }}) and use "$TITLE" in the script',
  },
  "untrusted-checkout": {
    severity: "error",
    description:
      "privileged trigger (pull_request_target, workflow_run, issue_comment) checks out untrusted code",
    fix: "check out the base ref only, or move the build to a pull_request workflow without secrets",
  },
  "missing-permissions": {
    severity: "warning",
    description: "no permissions block: the GITHUB_TOKEN gets the repository default, possibly write-all",
    fix: "add 'permissions: contents: read' at the top and grant writes per job",
  },
  "excessive-permissions": {
    severity: "warning",
    description: "write-all, or write scopes granted to every job of the workflow",
    fix: "grant only the scopes each job needs, on that job",
  },
  "impostor-commit": {
    severity: "error",
    description:
      "(--online) a pinned SHA that no branch or tag of the action's repository reaches (a fork's commit)",
    fix: "pin a commit of the action's own branches or tags ('slipway pin' picks one)",
  },
  "known-vulnerable-action": {
    severity: "error",
    description: "(--online) the pinned version is in a GitHub security advisory's vulnerable range",
    fix: "move to the advisory's first patched version or later",
  },
  "stale-action-ref": {
    severity: "warning",
    description: "(--online) a pinned SHA that no tag points at (a branch commit, not a release)",
    fix: "pin the commit of a release tag",
    persona: "pedantic",
    confidence: "medium",
  },
  "unpinned-action": {
    severity: "warning",
    description: "action or reusable workflow not pinned to a full commit SHA",
    fix: "run 'slipway pin' to pin it as owner/repo@<sha> # <tag>",
  },
  "pin-comment-mismatch": {
    severity: "warning",
    description: "SHA-pinned action whose version comment names a tag at another commit",
    fix: "re-run 'slipway pin' or correct the comment to the tag the SHA belongs to",
  },
  "secrets-inherit": {
    severity: "warning",
    description: "reusable workflow called with secrets: inherit",
    fix: "pass only the secrets the called workflow needs: secrets: { NAME: ${{ secrets.NAME }} }",
  },
  "secret-exposure": {
    severity: "warning",
    description: "secret echoed, expanded into a script, or passed on a command line",
    fix: "pass the secret through env: and read it from the environment or stdin, never print it",
  },
  "workflow-env-secret": {
    severity: "warning",
    description: "GITHUB_TOKEN or a secret in workflow-level env, visible to every step and action",
    fix: "move it to the env: of the one step that needs it",
  },
  "persist-credentials": {
    severity: "warning",
    description:
      "checkout keeps the token on disk and the workspace is uploaded later (low confidence: another artifact; pedantic: no upload)",
    fix: "add 'persist-credentials: false' to the actions/checkout step",
  },
  "artifact-workspace": {
    severity: "warning",
    description: "artifact uploaded from the whole workspace (may include .git and credentials)",
    fix: "upload only the build output directory",
  },
  "cache-poisoning": {
    severity: "warning",
    description: "cache restored in a release workflow that publishes",
    fix: "disable caching in release and publish jobs",
  },
  "self-hosted-public": {
    severity: "warning",
    description: "self-hosted runner in a workflow that outsiders can trigger",
    fix: "use GitHub-hosted runners for pull_request and comment triggers, or ephemeral isolated runners",
  },
  "long-lived-token": {
    severity: "warning",
    description: "long-lived registry token where trusted publishing (OIDC) exists",
    fix: "configure trusted publishing on the registry and grant 'id-token: write' instead of the token",
  },
  "curl-pipe-shell": {
    severity: "warning",
    description: "script downloaded and piped straight into a shell",
    fix: "download to a file, verify its checksum or signature, then run it",
  },
  "hardcoded-secret": {
    severity: "error",
    description: "credential written into the workflow file",
    fix: "revoke it, then store it as an encrypted secret and use ${{ secrets.NAME }}",
  },
  "insecure-commands": {
    severity: "error",
    description: "ACTIONS_ALLOW_UNSECURE_COMMANDS re-enables the ::set-env:: and ::add-path:: log commands",
    fix: "remove ACTIONS_ALLOW_UNSECURE_COMMANDS and write to $GITHUB_ENV / $GITHUB_PATH instead",
  },
  "overprovisioned-secrets": {
    severity: "warning",
    description: "the whole secrets context passed on: toJSON(secrets) or secrets[<computed name>]",
    fix: "pass only the secrets needed, each by name: ${{ secrets.NAME }}",
  },
  "unredacted-secrets": {
    severity: "warning",
    description: "field of a JSON secret read with fromJSON(secrets.X).field, which log masking misses",
    fix: "store each value that must stay secret as its own secret",
  },
  "bot-conditions": {
    severity: "error",
    description:
      "if: trusts github.actor (or triggering_actor) being a bot in a pull_request_target, workflow_run or issue_comment workflow",
    fix: "check the pull request's author instead: github.event.pull_request.user.login == 'dependabot[bot]'",
  },
  "unsound-contains": {
    severity: "error",
    description: "contains() with a string as haystack: a substring test, which other values pass too",
    fix: 'compare with an array: contains(fromJSON(\'["refs/heads/main", "refs/heads/dev"]\'), github.ref)',
  },
  "unsound-condition": {
    severity: "error",
    description: "if: with text around its ${{ }} (or a block scalar's line break): always true",
    fix: "put the whole condition in one ${{ }} with nothing around it (|- or >- for a block), or drop the ${{ }}",
  },
  "github-env": {
    severity: "error",
    description: "writes to $GITHUB_ENV or $GITHUB_PATH in a pull_request_target or workflow_run workflow",
    fix: 'pass the value as a step output (>> "$GITHUB_OUTPUT") and read it through env: where needed',
  },
  "unpinned-images": {
    severity: "warning",
    description: "container, service or docker:// step image named by tag rather than by digest",
    fix: "pin the image by digest: image@sha256:<digest>",
  },
  "typosquat-uses": {
    severity: "error",
    description: "action one letter away from a popular one (action/checkout, actions/chekout)",
    fix: "correct the name to the action meant",
  },
  "adhoc-packages": {
    severity: "warning",
    description:
      "pip/uv/pipx, npm -g, cargo or go install of a package without a pinned version in a run: step",
    fix: "pin the version (pkg==1.2.3, pkg@1.2.3, cargo install --locked pkg@1.2.3, go install pkg@v1.2.3) or install from a lock file",
  },
  "dangerous-triggers": {
    severity: "warning",
    description:
      "pull_request_target or workflow_run trigger: secrets and a write token for events forks can cause (info when nothing untrusted is checked out)",
    fix: "use pull_request (no secrets) where possible; otherwise never check out or run the pull request's code here",
  },
  "secrets-outside-env": {
    severity: "warning",
    persona: "auditor",
    description:
      "job reads secrets.X but has no environment:, so the secret is a repository or organisation one that any job can read",
    fix: "move the secret to an environment with protection rules and set environment: on the job",
  },
  "self-hosted-runner": {
    severity: "warning",
    persona: "auditor",
    description:
      "job runs on a self-hosted runner (see self-hosted-public for workflows outsiders can start)",
    fix: "use GitHub-hosted or ephemeral (just-in-time) runners, and require approval for outside contributors",
  },
  "concurrency-limits": {
    severity: "warning",
    persona: "pedantic",
    description: "no concurrency: at workflow or job level: superseded runs keep running side by side",
    fix: "add concurrency: { group: ${{ github.workflow }}-${{ github.ref }}, cancel-in-progress: true }",
  },
  "anonymous-definition": {
    severity: "info",
    persona: "pedantic",
    description: "workflow or action without name: (shown by file name or job id in the Actions UI)",
    fix: "add a name: saying what the workflow or action does",
  },
  "undocumented-permissions": {
    severity: "warning",
    persona: "pedantic",
    description: "permission granting write (or write-all) without a comment on its line saying why",
    fix: "say why on the same line: contents: write # push the release tag",
  },
  "archived-uses": {
    severity: "warning",
    description: "action or reusable workflow from an archived (read-only, unmaintained) repository",
    fix: "replace it with a maintained action or a run: step (gh, cargo, rustup)",
  },
  "forbidden-uses": {
    severity: "error",
    description: "uses: an action the forbidden-uses allow or deny list of .slipway.yml does not permit",
    fix: "use an allowed action, or change the forbidden-uses list in .slipway.yml",
  },
  obfuscation: {
    severity: "warning",
    description:
      "uses: path with ./, .. or // segments, or an expression that is a constant (${{ 'x' }}, format() of literals, fromJSON(toJSON(x)))",
    fix: "write the plain value: the uses: path without redundant segments, the constant without ${{ }}",
  },
  misfeature: {
    severity: "warning",
    description:
      "feature that hides what runs: shell: cmd, setup-python's pip-install input (auditor: shells GitHub does not document)",
    fix: "use pwsh or bash instead of cmd; install packages in a run: step into a virtual environment",
  },
  "superfluous-actions": {
    severity: "info",
    description:
      "action doing what a tool already on the runner does (gh release, gh pr, jq, docker run, git)",
    fix: "call the preinstalled tool in a run: step and drop the action",
  },
  "pin-comment-missing": {
    severity: "warning",
    persona: "pedantic",
    description:
      "action pinned to a commit SHA with no version comment (# v4.2.2) saying which release it is",
    fix: "re-run 'slipway pin', which writes the version comment, or add it by hand",
  },
  "dependabot-cooldown": {
    severity: "warning",
    description:
      "dependabot.yml update without a cooldown of at least 7 days: new releases are taken at once",
    fix: "add cooldown: { default-days: 7 } to the update",
  },
  "dependabot-execution": {
    severity: "error",
    description:
      "dependabot.yml allows insecure-external-code-execution: manifests' code runs with Dependabot's credentials",
    fix: "remove insecure-external-code-execution: allow (deny is the default)",
  },
} satisfies Record<string, AuditRuleDoc>;

export type AuditRuleId = keyof typeof AUDIT_RULES;
