import { describe, expect, test } from "vitest";
import { highest, levelOf, parseCommit } from "./conventional.js";

const p = (message: string) => parseCommit({ sha: "a".repeat(40), message });

describe("conventional commits", () => {
  test("type, scope and description", () => {
    expect(p("feat(cli): add --json")).toMatchObject({
      type: "feat",
      scope: "cli",
      description: "add --json",
      breaking: false,
    });
    expect(p("Fix: typo")).toMatchObject({ type: "fix", scope: undefined });
  });

  test("'!' and BREAKING CHANGE / BREAKING-CHANGE footers are breaking changes", () => {
    expect(p("refactor(api)!: drop v1")?.breaking).toBe(true);
    const c = p(
      "feat: new config\n\nBody text.\n\nBREAKING CHANGE: the old keys are gone\nand stay gone\nRefs: #12",
    );
    expect(c).toMatchObject({ breaking: true, breakingNotes: ["the old keys are gone\nand stay gone"] });
    expect(p("fix: x\n\nBREAKING-CHANGE: y")?.breakingNotes).toEqual(["y"]);
    // Only a footer counts: the words inside a sentence do not.
    expect(p("fix: x\n\nThis is not a BREAKING CHANGE: really")?.breaking).toBe(false);
  });

  test("subjects that are not conventional commits are not read as one", () => {
    expect(p("Merge pull request #3 from x/y")).toBeUndefined();
    expect(p("feat:no space")).toBeUndefined();
    expect(p("update readme")).toBeUndefined();
  });

  test("levels: breaking > feat > fix = perf; other types ask for nothing", () => {
    expect(levelOf(p("perf: faster")!)).toBe("patch");
    expect(levelOf(p("docs: words")!)).toBeUndefined();
    expect(levelOf(p("chore!: drop node 18")!)).toBe("major");
    expect(highest(["patch", undefined, "minor", "patch"])).toBe("minor");
    expect(highest([undefined])).toBeUndefined();
  });
});
