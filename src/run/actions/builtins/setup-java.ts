import { realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import semver from "semver";
import type { Builtin } from "../types.js";
import { companions, useTool } from "./tool-path.js";
import { coerce, onPath, pick, probe, run, versionDirs } from "./toolchains.js";
import { ARCH, notFound, pathOf, wanted } from "./version-input.js";

function javaVersion(exe: string): string | undefined {
  const out = run(exe, ["-version"]) ?? "";
  const m = /version "([^"]+)"/.exec(out);
  if (!m) return undefined;
  // 1.8.0_392 is Java 8.
  const v = m[1]!.startsWith("1.") ? m[1]!.slice(2).replace("_", ".") : m[1]!;
  return coerce(v.replace(/\+.*$/, ""));
}

/** The JDK's own programs, linked first on PATH. */
const JDK_TOOLS = ["java", "javac", "jar", "javadoc", "jshell", "keytool", "jarsigner", "jlink", "jpackage"];

export const setupJava: Builtin = {
  inputs: {
    "java-version": "",
    "java-version-file": "",
    distribution: "",
    "java-package": "jdk",
    architecture: "",
    "check-latest": "false",
    cache: "",
    "cache-dependency-path": "",
  },
  ignored: {
    "server-id": "",
    "server-username": "",
    "server-password": "",
    "settings-path": "",
    "overwrite-settings": "",
    "gpg-private-key": "",
    "gpg-passphrase": "",
    token: "",
    "job-status": "",
    jdkFile: "",
  },
  async run(ctx) {
    const spec = wanted(ctx, "java-version", "java-version-file", (t, f) =>
      f.endsWith(".tool-versions") ? (/^java\s+\D*(\S+)/m.exec(t)?.[1] ?? "") : t.trim().replace(/^\D+/, ""),
    );
    if (!ctx.inputs.distribution)
      ctx.warn("distribution is required by actions/setup-java; using whatever JDK the host has");
    const tc = ctx.job.space.toolCache;
    const candidates = [
      ...versionDirs(
        join(tc, `Java_${ctx.inputs.distribution || "Temurin-Hotspot"}_jdk`),
        join(ARCH, "bin", "java"),
      ),
      ...(process.env.JAVA_HOME ? [join(process.env.JAVA_HOME, "bin", "java")] : []),
      ...onPath("java", pathOf(ctx)),
      ...versionDirs("/usr/lib/jvm", "bin/java"),
      ...versionDirs("/Library/Java/JavaVirtualMachines", "Contents/Home/bin/java"),
    ];
    const found = probe(candidates, javaVersion);
    const hit = pick(found, /^\d+$/.test(spec) ? `${spec}.x` : spec);
    if (!hit) throw notFound("Java", spec, found, `${tc}, JAVA_HOME, PATH, /usr/lib/jvm`);
    const java = realpathSync(hit.exe);
    const javaHome = dirname(dirname(java));
    const shims = useTool(ctx, `java-${hit.version}`, companions(java, JDK_TOOLS), {
      ownDirs: [join(javaHome, "bin")],
    });
    ctx.log(
      `Using Java ${hit.version}: ${java} (JAVA_HOME ${javaHome}); distribution '${ctx.inputs.distribution}' is not checked`,
    );
    ctx.log(`Put first on PATH: ${shims}`);
    ctx.setEnv("JAVA_HOME", javaHome);
    ctx.setEnv(`JAVA_HOME_${semver.major(hit.version)}_${ARCH.toUpperCase()}`, javaHome);
    return {
      distribution: ctx.inputs.distribution,
      version: hit.version,
      path: javaHome,
      "cache-hit": "false",
    };
  },
};
