import { describe, expect, test } from "vitest";
import { activityTypes, knownEvents } from "./events.js";

describe("events GitHub knows", () => {
  test("every trigger event, from the schema", () => {
    const events = knownEvents();
    for (const e of ["push", "pull_request", "workflow_dispatch", "schedule", "merge_group", "workflow_run"])
      expect(events).toContain(e);
    expect(events).not.toContain("nosuchevent");
    expect(events.length).toBeGreaterThan(30);
  });

  test("activity types per event; none for push", () => {
    expect(activityTypes("pull_request")).toContain("synchronize");
    expect(activityTypes("pull_request_target")).toContain("opened");
    expect(activityTypes("release")).toContain("published");
    expect(activityTypes("push")).toBeUndefined();
  });
});
