import { expect, test } from "vitest";
import { StatusLine } from "./status-line.js";

test("the status line is redrawn under each log line and cleared at the end", () => {
  let out = "";
  const s = new StatusLine({ write: (t: string) => (out += t), columns: 50 }, false);
  s.set("npm left-pad 1.0.0: publishing", 1000);
  s.log("crates core 1.0.0  published", 2500);
  s.set("a very long status that does not fit in forty columns at all", 3000);
  s.end();
  expect(out.split("\r\x1b[2K")).toEqual([
    "",
    "⠋ npm left-pad 1.0.0: publishing (0.0 s)",
    "crates core 1.0.0  published\n",
    "⠙ npm left-pad 1.0.0: publishing (1.5 s)",
    "⠹ a very long status that does not fit in forty …",
    "",
  ]);
});
