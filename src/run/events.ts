/**
 * The run is a stream of events. The scheduler emits them; reporters, the saved run
 * folder and (later) the server consume the same stream. Engine code emits plain
 * text; consumers receive events through eventGate (event-gate.ts), the one gate
 * for secrets.
 */
export type JobResult = "success" | "failure" | "cancelled" | "skipped";
export type StepOutcome = "success" | "failure" | "cancelled" | "skipped";
export type AnnotationLevel = "error" | "warning" | "notice" | "debug";

export interface Annotation {
  level: AnnotationLevel;
  message: string;
  title?: string;
  file?: string;
  line?: number;
  col?: number;
}

export type TestOutcome = "passed" | "failed" | "error" | "skipped";

/** One test case a test report gave (JUnit XML read by a test-report built-in). */
export interface TestCase {
  suite: string;
  name: string;
  /** Relative to the workspace when the file is in it. */
  file?: string;
  line?: number;
  durationMs: number;
  outcome: TestOutcome;
  /** The failure's, error's or skip's message. */
  message?: string;
}

/** One benchmark's result (github-action-benchmark's output file, read by the benchmark built-in). */
export interface BenchmarkResult {
  name: string;
  value: number;
  unit: string;
  range?: string;
  extra?: string;
  biggerIsBetter: boolean;
}

/** One source file's line coverage (a codecov built-in's report). */
export interface FileCoverage {
  /** Relative to the workspace when the file is in it. */
  path: string;
  lines: number;
  hit: number;
}

export type RunEvent =
  | { type: "run-start"; runNumber: number; runId: string; event: string; workflows: string[] }
  | { type: "job-queued"; job: string; name: string; workflow: string }
  /**
   * A deferred node of the plan expanded at run time by the planner: a job's legs once its
   * needs' outputs exist (names), or a reusable workflow's jobs once it is called (keys).
   */
  | { type: "plan-expanded"; job: string; legs: string[] }
  /**
   * labels: runs-on as evaluated; reused: restored from an earlier run, run nowhere; runner:
   * the agent that runs it, when not this process's executor (a server's agent).
   */
  | {
      type: "job-start";
      job: string;
      name: string;
      labels?: string[];
      reused?: boolean;
      runner?: { name: string; executor: string };
    }
  /** A leg's reuse key (hex) and its parts' hashes, before it runs or is reused (run/reuse/key.ts). */
  | { type: "job-key"; job: string; key: string; parts: Record<string, string> }
  | { type: "step-start"; job: string; step: number; name: string }
  | { type: "log"; job: string; step?: number; stream: "stdout" | "stderr" | "info" | "debug"; text: string }
  | { type: "group"; job: string; step?: number; title?: string; end?: boolean }
  | { type: "annotation"; job: string; step?: number; annotation: Annotation }
  | {
      type: "step-end";
      job: string;
      step: number;
      name: string;
      outcome: StepOutcome;
      conclusion: StepOutcome;
      durationMs: number;
    }
  | { type: "summary"; job: string; step: number; markdown: string }
  /** The test cases a test-report step read (`report`: its check name), every case of its reports. */
  | { type: "test-results"; job: string; step: number; report: string; cases: TestCase[] }
  /** The results a benchmark step read (`suite`: its name input), recorded for the next run's baseline. */
  | { type: "benchmark"; job: string; step: number; suite: string; tool: string; results: BenchmarkResult[] }
  /** Line coverage per file a codecov step read (lines found, lines hit), and their total. */
  | {
      type: "coverage";
      job: string;
      step: number;
      files: FileCoverage[];
      total: { lines: number; hit: number };
    }
  /** An artifact a job stored: its files are at `path` in the run folder. */
  | { type: "artifact"; job: string; name: string; files: number; size: number; path: string }
  /** A cache looked up (hit: the key itself; matchedKey: the key restored, maybe a restore key) or saved. */
  | {
      type: "cache";
      job: string;
      action: "restore" | "save";
      key: string;
      hit: boolean;
      matchedKey?: string;
      size?: number;
    }
  | { type: "approval-requested"; job: string; environment: string }
  | { type: "approval-decided"; job: string; environment: string; approved: boolean; by: string }
  | {
      type: "job-end";
      job: string;
      name: string;
      result: JobResult;
      durationMs: number;
      reason?: string;
      outputs: Record<string, string>;
      /** The deployment's environment.url, evaluated after the steps. */
      environmentUrl?: string;
    }
  | { type: "run-end"; result: JobResult; durationMs: number };

export type Emit = (e: RunEvent) => void;

/**
 * Where an event stands: its run, its place in the run's stream (from 1, no gaps: a consumer
 * that has stored up to `seq` N resumes from N + 1) and when it happened (ms since the epoch).
 */
export interface EventStamp {
  runId: string;
  seq: number;
  time: number;
}

/** An event as consumers receive it, past the gate. */
export type StampedEvent = RunEvent & EventStamp;
