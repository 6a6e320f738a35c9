import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { slipway } from "../../test/helpers/cli.js";
import { registriesFrom } from "./publish.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function repo(files: Record<string, string>): string {
  // The repository is a folder inside the temporary one, so ../ stays in it too.
  const top = mkdtempSync(join(tmpdir(), "slipway-publish-cli-"));
  dirs.push(top);
  const d = join(top, "repo");
  mkdirSync(d);
  for (const [p, body] of Object.entries(files)) {
    mkdirSync(join(d, p, ".."), { recursive: true });
    writeFileSync(join(d, p), body);
  }
  return d;
}

describe("slipway publish", () => {
  test("--registry names a registry, its URL, and defaults the PyPI index from the upload URL", () => {
    expect(registriesFrom(["pypi=http://127.0.0.1:1/", "crates=sparse+http://127.0.0.1:2/index/"])).toEqual({
      crates: "sparse+http://127.0.0.1:2/index/",
      npm: "https://registry.npmjs.org/",
      pypi: "http://127.0.0.1:1/",
      pypiIndex: "http://127.0.0.1:1/simple/",
    });
    expect(() => registriesFrom(["maven=http://x/"])).toThrow(/unknown registry 'maven'/);
    expect(() => registriesFrom(["npm"])).toThrow(/expected NAME=URL/);
    expect(() => registriesFrom(["npm=not a url"])).toThrow(/is not a URL/);
  });

  test("usage errors exit 2 without a stack trace", () => {
    const r = slipway(["publish", "--registry", "npm"], repo({}));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("slipway publish: --registry npm: expected NAME=URL\n");
  });

  test("nothing to publish is a failure that says so", () => {
    const r = slipway(["publish", "--dry-run"], repo({ "notes.txt": "" }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nothing to publish/);
  });

  test("a package carrying a secret stops everything before any registry is asked; the --secret-file token is masked", () => {
    const dir = repo({
      "package.json": JSON.stringify({ name: "leaky", version: "1.0.0", license: "MIT" }),
      "README.md": "# leaky\n",
      LICENSE: "MIT\n",
      "index.js": "",
      ".env": "TOKEN=npm_secretvalue123\n",
    });
    // An unreachable registry: the check must fail before it is needed.
    const r = slipway(["publish", "--registry", "npm=http://127.0.0.1:9/"], dir, {
      NPM_TOKEN: "npm_secretvalue123",
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      "✗ package.json: leaky-1.0.0.tgz contains .env: an environment file (secrets)",
    );
    expect(r.stdout + r.stderr).not.toContain("npm_secretvalue123");
  });
});
