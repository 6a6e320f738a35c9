// The actions generated workflows use, each resolved to a full commit SHA with `slipway pin`'s
// resolver (the action store first, then `git ls-remote`). What cannot be resolved is written
// with its tag and reported: init never invents a SHA.
import { Resolver, type ResolverOptions } from "../lint/pin-resolve.js";

/** owner/repo[/path] -> refs to try, most specific first (a major tag gets its full version from the tags at its commit). */
export const ACTIONS: Record<string, string[]> = {
  "actions/checkout": ["v7", "v6", "v5", "v4"],
  "actions/setup-node": ["v7", "v6", "v5", "v4"],
  "actions/setup-python": ["v7", "v6", "v5"],
  "actions/setup-go": ["v7", "v6", "v5"],
  "actions/upload-artifact": ["v7", "v6", "v5", "v4"],
  "actions/download-artifact": ["v8", "v7", "v6", "v5", "v4"],
  "actions/attest-build-provenance": ["v4", "v3", "v2"],
  // No version tags: its branches are toolchains; master takes a `toolchain:` input.
  "dtolnay/rust-toolchain": ["master"],
  "Swatinem/rust-cache": ["v2"],
  "taiki-e/install-action": ["v2"],
  "benchmark-action/github-action-benchmark": ["v1"],
  "pypa/gh-action-pypi-publish": ["release/v1", "v1"],
  "rust-lang/crates-io-auth-action": ["v1"],
  "gitleaks/gitleaks-action": ["v2"],
};

export interface Pin {
  action: string;
  /** What goes after `uses:`, with its comment. */
  uses: string;
  pinned: boolean;
  /** Why it is not pinned. */
  error?: string;
}

export class Pins {
  private done = new Map<string, Pin>();

  constructor(private readonly opts: ResolverOptions) {}

  /** Resolves every action once (in a fixed order, so output does not depend on timing). */
  async resolveAll(actions: string[]): Promise<void> {
    const resolver = new Resolver(this.opts);
    for (const action of [...new Set(actions)].sort()) {
      if (this.done.has(action)) continue;
      const refs = ACTIONS[action];
      if (!refs) throw new Error(`init: no refs known for ${action}`);
      const [owner, repo] = action.split("/") as [string, string];
      let error = "";
      let pin: Pin | undefined;
      for (const ref of refs) {
        const r = await resolver.resolve(owner, repo, ref);
        if (r.ok) {
          pin = { action, uses: `${action}@${r.sha} # ${r.version ?? ref}`, pinned: true };
          break;
        }
        error ||= r.error;
      }
      this.done.set(
        action,
        pin ?? {
          action,
          uses: `${action}@${refs[0]} # not pinned: run 'slipway pin' online`,
          pinned: false,
          error,
        },
      );
    }
  }

  uses(action: string): string {
    const p = this.done.get(action);
    if (!p) throw new Error(`init: ${action} was not resolved`);
    return p.uses;
  }

  unpinned(): Pin[] {
    return [...this.done.values()].filter((p) => !p.pinned);
  }
}
