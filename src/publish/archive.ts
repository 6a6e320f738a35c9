import { createHash } from "node:crypto";
import { gunzipSync, inflateRawSync } from "node:zlib";

/** One file inside a package archive. */
export interface Entry {
  path: string;
  size: number;
  data: Buffer;
}

/** The files of a .crate, npm .tgz, sdist (.tar.gz) or wheel (.whl, a zip), by file name. */
export function readArchive(file: string, bytes: Buffer): Entry[] {
  return /\.(whl|zip)$/.test(file) ? readZip(bytes) : readTar(gunzipSync(bytes));
}

/** ustar and GNU tar: regular files only; long names from GNU 'L' and pax 'path' records. */
export function readTar(tar: Buffer): Entry[] {
  const out: Entry[] = [];
  let off = 0;
  let longName: string | undefined;
  while (off + 512 <= tar.length) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const str = (a: number, n: number) => h.toString("utf8", a, a + n).replace(/\0.*$/s, "");
    const size = Number.parseInt(str(124, 12).trim() || "0", 8);
    const type = String.fromCharCode(h[156]!);
    const prefix = str(345, 155);
    let name = longName ?? (prefix ? `${prefix}/${str(0, 100)}` : str(0, 100));
    const body = tar.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    longName = undefined;
    if (type === "L") {
      longName = body.toString("utf8").replace(/\0.*$/s, "");
      continue;
    }
    if (type === "x") {
      const m = /\d+ path=([^\n]*)\n/.exec(body.toString("utf8"));
      if (m) longName = m[1];
      continue;
    }
    if (type !== "0" && type !== "\0") continue;
    name = name.replace(/^\.\//, "");
    out.push({ path: name, size, data: Buffer.from(body) });
  }
  return out;
}

/** A zip's files from its central directory (stored or deflated, as wheels are). */
export function readZip(zip: Buffer): Entry[] {
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65_557); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error("not a zip file (no end of central directory)");
  const count = zip.readUInt16LE(eocd + 10);
  let off = zip.readUInt32LE(eocd + 16);
  const out: Entry[] = [];
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(off) !== 0x02014b50) throw new Error("corrupt zip central directory");
    const method = zip.readUInt16LE(off + 10);
    const csize = zip.readUInt32LE(off + 20);
    const size = zip.readUInt32LE(off + 24);
    const nameLen = zip.readUInt16LE(off + 28);
    const extraLen = zip.readUInt16LE(off + 30);
    const commentLen = zip.readUInt16LE(off + 32);
    const local = zip.readUInt32LE(off + 42);
    const path = zip.toString("utf8", off + 46, off + 46 + nameLen);
    off += 46 + nameLen + extraLen + commentLen;
    if (path.endsWith("/")) continue;
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(start, start + csize);
    const data = method === 0 ? Buffer.from(raw) : method === 8 ? inflateRawSync(raw) : Buffer.alloc(0);
    out.push({ path, size, data });
  }
  return out;
}

export function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * Whether two archives hold the same files with the same bytes, whatever their timestamps
 * and order: a rebuilt archive of unchanged sources is the same content. `ignore` lists
 * paths that record where it was built, not what it contains (cargo's VCS info).
 */
export function sameContents(
  a: Entry[],
  b: Entry[],
  ignore: (path: string) => boolean = () => false,
): boolean {
  const digest = (es: Entry[]) =>
    es
      .filter((e) => !ignore(e.path))
      .map((e) => `${e.path}\0${sha256(e.data)}`)
      .sort()
      .join("\n");
  return digest(a) === digest(b);
}
