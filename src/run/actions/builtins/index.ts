import type { Builtin } from "../types.js";
import { downloadArtifact, uploadArtifact } from "./artifacts.js";
import { githubActionBenchmark } from "./benchmark.js";
import { cache, cacheRestore, cacheSave, rustCache } from "./cache.js";
import { checkout } from "./checkout.js";
import { codecov } from "./codecov.js";
import { attestBuildProvenance, cratesIoAuth, pypiPublish } from "./publishing.js";
import { rustToolchain } from "./rust-toolchain.js";
import { setupGo } from "./setup-go.js";
import { setupJava } from "./setup-java.js";
import { setupNode } from "./setup-node.js";
import { setupPython } from "./setup-python.js";
import { setupUv } from "./setup-uv.js";
import { junitReport, publishUnitTestResults, testReporter } from "./test-report.js";

/** Actions Slipway runs itself, by lower-cased owner/repo[/path]: no download, offline. */
export const BUILTINS: Record<string, Builtin> = {
  "actions/checkout": checkout,
  "actions/cache": cache,
  "actions/cache/restore": cacheRestore,
  "actions/cache/save": cacheSave,
  "swatinem/rust-cache": rustCache,
  "actions/upload-artifact": uploadArtifact,
  "actions/download-artifact": downloadArtifact,
  "actions/setup-node": setupNode,
  "actions/setup-python": setupPython,
  "actions/setup-go": setupGo,
  "actions/setup-java": setupJava,
  "dtolnay/rust-toolchain": rustToolchain,
  "astral-sh/setup-uv": setupUv,
  "mikepenz/action-junit-report": junitReport,
  "dorny/test-reporter": testReporter,
  "enricomi/publish-unit-test-result-action": publishUnitTestResults,
  "enricomi/publish-unit-test-result-action/linux": publishUnitTestResults,
  "enricomi/publish-unit-test-result-action/macos": publishUnitTestResults,
  "enricomi/publish-unit-test-result-action/windows": publishUnitTestResults,
  "enricomi/publish-unit-test-result-action/composite": publishUnitTestResults,
  "benchmark-action/github-action-benchmark": githubActionBenchmark,
  "codecov/codecov-action": codecov,
  "rust-lang/crates-io-auth-action": cratesIoAuth,
  "pypa/gh-action-pypi-publish": pypiPublish,
  "actions/attest-build-provenance": attestBuildProvenance,
};
