import { describe, expect, test } from "vitest";
import { listApprover } from "./approval.js";

const req = (environment: string) => ({ job: "deploy", name: "Deploy", environment });

describe("listApprover: the CLI's --approve list and terminal question", () => {
  test("an environment named by --approve (any case) or '*' is approved without asking", async () => {
    let asked = 0;
    const ask = async () => {
      asked++;
      return false;
    };
    expect(await listApprover(["Production"], ask)(req("production"))).toEqual({
      approved: true,
      by: "--approve",
    });
    expect(await listApprover(["*"], ask)(req("anything"))).toEqual({ approved: true, by: "--approve" });
    expect(asked).toBe(0);
  });

  test("others go to the person at the terminal, else the answer is no", async () => {
    const seen: string[] = [];
    const yes = listApprover([], async (environment, job) => {
      seen.push(`${job} -> ${environment}`);
      return true;
    });
    expect(await yes(req("staging"))).toEqual({ approved: true, by: "you, at the prompt" });
    expect(seen).toEqual(["Deploy -> staging"]);
    expect(await listApprover(["staging"])(req("production"))).toMatchObject({ approved: false });
  });
});
