import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";

/**
 * The files of an artifact folder, by their path relative to it ('/'-separated). A download
 * is served only when its path is one of these: a name the request makes up (`..`, an
 * absolute path, a link out of the folder) is never joined onto a path on disk.
 */
export function artifactFiles(dir: string, max = 10_000): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string) => {
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const name of names) {
      if (out.size >= max) return;
      const abs = join(d, name);
      const st = lstatSync(abs);
      const r = rel ? `${rel}/${name}` : name;
      // Links are not followed: the store copies files, so a link is not the run's.
      if (st.isDirectory()) walk(abs, r);
      else if (st.isFile()) out.set(r, abs);
    }
  };
  walk(dir, "");
  return out;
}
