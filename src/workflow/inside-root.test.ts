import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { insideRoot } from "./inside-root.js";

test("insideRoot follows .. and symbolic links", () => {
  const top = mkdtempSync(join(tmpdir(), "inside-root-"));
  const repo = join(top, "repo");
  mkdirSync(join(repo, "a"), { recursive: true });
  writeFileSync(join(top, "host.yml"), "");
  writeFileSync(join(repo, "a", "f.yml"), "");
  symlinkSync(join(top, "host.yml"), join(repo, "out.yml"));
  symlinkSync("a/f.yml", join(repo, "in.yml"));
  symlinkSync(top, join(repo, "up"));
  symlinkSync(join(top, "gone"), join(repo, "dangling"));
  expect(insideRoot(repo, "./a/f.yml")).toBe("inside");
  expect(insideRoot(repo, "./in.yml")).toBe("inside");
  expect(insideRoot(repo, "./..a")).toBe("missing");
  expect(insideRoot(repo, "./a/../../host.yml")).toBe("outside");
  expect(insideRoot(repo, "./out.yml")).toBe("outside");
  expect(insideRoot(repo, "./up/host.yml")).toBe("outside");
  expect(insideRoot(repo, "./dangling")).toBe("missing");
  expect(insideRoot(repo, "./nope")).toBe("missing");
});
