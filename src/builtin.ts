// Node built-ins loaded on first use. `node:child_process` alone pulls in net, streams and more:
// about 5 ms of every start, for commands (lint, audit) that mostly never spawn anything.
import { createRequire } from "node:module";

const load = createRequire(import.meta.url);

export const childProcess = (): typeof import("node:child_process") => load("node:child_process");
export const fsPromises = (): typeof import("node:fs/promises") => load("node:fs/promises");
