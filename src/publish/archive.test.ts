import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { readArchive, sameContents } from "./archive.js";

const dir = mkdtempSync(join(tmpdir(), "slipway-archive-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tree(): string {
  const src = join(dir, "src");
  mkdirSync(
    join(src, "pkg/a-very-long-folder-name-to-need-more-than-one-hundred-characters-in-the-path/more"),
    {
      recursive: true,
    },
  );
  writeFileSync(join(src, "pkg/README.md"), "hello\n");
  writeFileSync(
    join(
      src,
      "pkg/a-very-long-folder-name-to-need-more-than-one-hundred-characters-in-the-path/more/file-with-long-name.txt",
    ),
    "x".repeat(2000),
  );
  return src;
}

test("tar.gz and zip archives read back their files, long names included", () => {
  const src = tree();
  execFileSync("tar", ["czf", join(dir, "a.tar.gz"), "pkg"], { cwd: src });
  execFileSync("zip", ["-qr", join(dir, "a.whl"), "pkg"], { cwd: src });
  const tar = readArchive("a.tar.gz", readFileSync(join(dir, "a.tar.gz")));
  const zip = readArchive("a.whl", readFileSync(join(dir, "a.whl")));
  const names = (es: { path: string }[]) => es.map((e) => e.path).sort();
  expect(names(tar)).toEqual([
    "pkg/README.md",
    "pkg/a-very-long-folder-name-to-need-more-than-one-hundred-characters-in-the-path/more/file-with-long-name.txt",
  ]);
  expect(names(zip)).toEqual(names(tar));
  expect(tar.find((e) => e.path.endsWith(".txt"))!.data.toString()).toBe("x".repeat(2000));
  // Same files, other archive format and timestamps: the same content.
  expect(sameContents(tar, zip)).toBe(true);
  expect(sameContents(tar, [...zip.slice(1), { ...zip[0]!, data: Buffer.from("changed") }])).toBe(false);
});
