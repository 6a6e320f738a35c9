// Concurrency groups at run time (workflow and job level share one table, as on GitHub);
// the groups themselves are decided by the plan (plan/gates.ts, plan/workflow-level.ts).

export type Groups = Map<string, { release: Promise<void>; cancel: () => void }>;

/** One job per concurrency group at a time; cancel-in-progress cancels the running one. */
export async function enterGroup(
  groups: Groups,
  group: string,
  cancelInProgress: boolean,
  cancelMe: () => void,
): Promise<() => void> {
  for (;;) {
    const held = groups.get(group);
    if (!held) break;
    if (cancelInProgress) held.cancel();
    await held.release;
  }
  let release!: () => void;
  const released = new Promise<void>((r) => {
    release = r;
  });
  groups.set(group, { release: released, cancel: cancelMe });
  return () => {
    if (groups.get(group)?.release === released) groups.delete(group);
    release();
  };
}
