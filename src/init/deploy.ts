// deploy.yml and rollback.yml: staging, then production behind the environment's required
// reviewers, and a rollback that redeploys an earlier release tag. The deploy command itself is
// the project's: the generated step fails until it is filled in.
import { checkout, type Gen, header, job, type OutFile } from "./steps.js";

function deployStep(what: string): string {
  return `- name: ${what}
  env:
    ENVIRONMENT: \${{ github.job }}
  # Replace with your deploy command (it gets ENVIRONMENT and the checked-out tag). Until then the
  # job fails on purpose, so nothing looks deployed that was not.
  run: |
    echo "::error::edit .github/workflows/deploy.yml: the deploy command for $ENVIRONMENT is missing"
    exit 1`;
}

export function deploy(g: Gen): OutFile[] {
  const { uses } = g;
  const co = checkout(uses);
  const deployYml = `${header(
    "Deploy: a release tag to staging, then to production.",
    "Set required reviewers on the 'production' environment (Settings > Environments) so a person\napproves each production deploy. Secrets for the target belong to the environments.",
  )}
name: Deploy

on:
  workflow_dispatch:
  push:
    tags: ["v*"]

permissions: {}

# Deploys of one ref queue up; one in progress is never cancelled halfway.
concurrency:
  group: \${{ github.workflow }}-\${{ github.ref }}
  cancel-in-progress: false

jobs:
${[
  job(
    {
      id: "staging",
      why: "Staging first: every release tag goes there.",
      timeout: 20,
      environment: "staging",
    },
    [co, deployStep("Deploy to staging")],
  ),
  job(
    {
      id: "production",
      why: "Production after staging succeeded, once a reviewer of the environment approves.",
      needs: ["staging"],
      timeout: 20,
      environment: "production",
    },
    [co, deployStep("Deploy to production")],
  ),
].join("\n\n")}
`;
  const rollbackYml = `${header(
    "Rollback: redeploy an earlier release tag to an environment.",
    "Run it from the Actions tab with the tag to go back to. On a Slipway server,\n'slipway deploy rollback ENVIRONMENT' redeploys the last good deployment it recorded instead.",
  )}
name: Rollback

on:
  workflow_dispatch:
    inputs:
      tag:
        description: The release tag to redeploy (for example v1.2.3)
        required: true
      environment:
        description: Where to roll back
        type: choice
        options: [staging, production]
        default: production

permissions: {}

concurrency:
  group: deploy-\${{ inputs.environment }}
  cancel-in-progress: false

jobs:
${job(
  {
    id: "rollback",
    why: "Checks out the tag and runs the same deploy command as deploy.yml.",
    timeout: 20,
    environment: "${{ inputs.environment }}",
  },
  [
    checkout(uses, { ref: "${{ inputs.tag }}" }),
    `- name: Redeploy
  env:
    ENVIRONMENT: \${{ inputs.environment }}
    TAG: \${{ inputs.tag }}
  # Replace with your deploy command; it gets ENVIRONMENT and TAG.
  run: |
    echo "::error::edit .github/workflows/rollback.yml: the deploy command for $ENVIRONMENT ($TAG) is missing"
    exit 1`,
  ],
)}
`;
  return [
    { path: ".github/workflows/deploy.yml", text: deployYml },
    { path: ".github/workflows/rollback.yml", text: rollbackYml },
  ];
}
