import { expect, test } from "vitest";
import { stamp } from "../report/run-folder.js";

test("an event line's seq and type, read from its ends or, failing that, parsed", () => {
  expect(stamp('{"type":"log","job":"a","text":"x","runId":"r","seq":12,"time":1700000000000}')).toEqual({
    seq: 12,
    type: "log",
  });
  // A text that looks like the tail is not mistaken: the line's own end is read.
  expect(stamp('{"type":"log","text":",\\"seq\\":99,\\"time\\":1}","runId":"r","seq":3,"time":5}')).toEqual({
    seq: 3,
    type: "log",
  });
  expect(stamp('{"seq":4,"type":"job-end"}')).toEqual({ seq: 4, type: "job-end" });
  expect(stamp("{not json")).toBeUndefined();
  expect(stamp('{"type":"log"}')).toBeUndefined();
  expect(stamp("")).toBeUndefined();
});
