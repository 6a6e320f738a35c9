import semver from "semver";
import { describe, expect, test } from "vitest";
import { bumpCore, type NextInput, nextVersion } from "./next-version.js";

const v = (s: string) => semver.parse(s)!;
const next = (
  i: Partial<Omit<NextInput, "stable" | "pre" | "current">> & {
    stable?: string;
    pre?: string;
    current?: string;
  },
) =>
  nextVersion({
    ...i,
    stable: i.stable ? v(i.stable) : undefined,
    pre: i.pre ? v(i.pre) : undefined,
    current: v(i.current ?? i.stable ?? i.pre ?? "0.1.0"),
  });

describe("next version", () => {
  test("1.x and above: breaking → major, feat → minor, fix/perf → patch", () => {
    expect(bumpCore(v("1.4.2"), "major")).toBe("2.0.0");
    expect(bumpCore(v("1.4.2"), "minor")).toBe("1.5.0");
    expect(bumpCore(v("1.4.2"), "patch")).toBe("1.4.3");
  });

  // release-plz (its next_version crate, documented on docs.rs): while the major is 0, a
  // breaking change bumps the minor and a feature bumps the patch; in 0.0.x everything bumps
  // the patch. semantic-release has no 0.x rule (a breaking change there gives 1.0.0).
  test("0.x as release-plz: breaking → minor, feat and fix → patch; 0.0.x always patch", () => {
    expect(bumpCore(v("0.4.2"), "major")).toBe("0.5.0");
    expect(bumpCore(v("0.4.2"), "minor")).toBe("0.4.3");
    expect(bumpCore(v("0.4.2"), "patch")).toBe("0.4.3");
    expect(bumpCore(v("0.0.4"), "major")).toBe("0.0.5");
    expect(bumpCore(v("0.0.4"), "minor")).toBe("0.0.5");
  });

  test("nothing releasable since the last release: no version", () => {
    expect(next({ stable: "1.2.0" })).toBeUndefined();
    expect(next({ stable: "1.2.0", sinceStable: "minor", sinceLast: "minor" })).toBe("1.3.0");
  });

  test("the first release is the version the manifests hold", () => {
    expect(next({ current: "0.3.0", sinceStable: "minor", sinceLast: "minor" })).toBe("0.3.0");
    expect(next({ current: "0.3.0", preId: "rc" })).toBe("0.3.0-rc.1");
  });

  test("pre-releases count up, restart on a bigger change, and graduate without new commits", () => {
    expect(next({ stable: "1.2.0", sinceStable: "minor", sinceLast: "minor", preId: "rc" })).toBe(
      "1.3.0-rc.1",
    );
    expect(
      next({ stable: "1.2.0", pre: "1.3.0-rc.1", sinceStable: "minor", sinceLast: "patch", preId: "rc" }),
    ).toBe("1.3.0-rc.2");
    // No new change since rc.1: no rc.2.
    expect(next({ stable: "1.2.0", pre: "1.3.0-rc.1", sinceStable: "minor", preId: "rc" })).toBeUndefined();
    // A breaking change after 1.3.0-rc.2 starts 2.0.0-rc.1.
    expect(
      next({ stable: "1.2.0", pre: "1.3.0-rc.2", sinceStable: "major", sinceLast: "major", preId: "rc" }),
    ).toBe("2.0.0-rc.1");
    // Another identifier starts its own series.
    expect(
      next({ stable: "1.2.0", pre: "1.3.0-beta.3", sinceStable: "minor", sinceLast: "patch", preId: "rc" }),
    ).toBe("1.3.0-rc.1");
    expect(next({ stable: "1.2.0", pre: "1.3.0-rc.2", sinceStable: "minor" })).toBe("1.3.0");
    expect(next({ pre: "0.1.0-rc.3" })).toBe("0.1.0");
  });

  test("--bump is taken literally (0.x too) and --bump pre counts the pre-release up", () => {
    expect(next({ stable: "0.9.3", bump: "major" })).toBe("1.0.0");
    expect(next({ stable: "1.2.3", bump: "minor" })).toBe("1.3.0");
    expect(next({ stable: "1.2.3", bump: "patch", preId: "rc" })).toBe("1.2.4-rc.1");
    expect(next({ stable: "1.2.0", pre: "1.3.0-rc.4", bump: "pre", preId: "rc" })).toBe("1.3.0-rc.5");
    expect(next({ stable: "1.2.0", bump: "pre" })).toBe("1.2.1-rc.1");
  });
});
