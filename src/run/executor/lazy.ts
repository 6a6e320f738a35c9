import type { Executor, JobSpace, PrepareSpec, SpawnResult, SpawnSpec } from "./types.js";

/**
 * An executor made when the first job needs it. Choosing one costs a probe (the sandbox's
 * overlay test) and a helper process; a run whose jobs are all reused needs neither.
 * Prefetch hints wait until then: folders for jobs that may never run are not made.
 */
export class LazyExecutor implements Executor {
  private made?: Executor;
  private waiting: PrepareSpec[] = [];
  /** Said once the executor is made (the run header's "executor: ..." line). */
  onMade?: (header: string) => void;

  constructor(private readonly make: () => { executor: Executor; header: string }) {}

  private get(): Executor {
    if (!this.made) {
      const c = this.make();
      this.made = c.executor;
      this.onMade?.(c.header);
      for (const spec of this.waiting.splice(0)) this.made.prefetch?.(spec);
    }
    return this.made;
  }

  get name(): string {
    return this.get().name;
  }

  /** Whether a job has needed it yet. */
  get started(): boolean {
    return this.made !== undefined;
  }

  prepareJob(spec: PrepareSpec): Promise<JobSpace> {
    return this.get().prepareJob(spec);
  }

  spawn(spec: SpawnSpec): Promise<SpawnResult> {
    return this.get().spawn(spec);
  }

  cleanupJob(space: JobSpace, spec: PrepareSpec): Promise<void> {
    return this.get().cleanupJob(space, spec);
  }

  prefetch(spec: PrepareSpec): void {
    if (this.made) this.made.prefetch?.(spec);
    else this.waiting.push(spec);
  }

  async close(): Promise<void> {
    await this.made?.close?.();
  }

  abandon(): void {
    this.made?.abandon?.();
  }
}
