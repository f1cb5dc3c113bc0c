/**
 * JSON files, re-read only when the file on disk changed. The engine's files are replaced by rename
 * (writeFileAtomic), by this process or by others (CLI invocations, monitors), so a file's identity
 * (inode, size, mtime, ctime) tells whether a cached parse is still the file's content. One stat per lookup
 * instead of open/fstat/read/close. The text is cached and parsed on every lookup, so callers get their own objects
 * (no aliasing between calls).
 *
 * Timestamps have a filesystem-dependent granularity and inode numbers are reused, so two rewrites in one
 * clock tick could look alike (git calls this "racy"). A file modified less than RACY_MS before it was read
 * is never trusted from the cache: it is read again until it has been quiet that long.
 */
import { open, stat } from 'node:fs/promises';
import { isErrno } from '../core/index.js';

const RACY_MS = 2_000n;

interface Entry {
  readonly key: string;
  readonly text: string;
}

function identity(s: { ino: bigint; size: bigint; mtimeNs: bigint; ctimeNs: bigint }): string {
  return `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
}

export class JsonFileCache {
  readonly #entries = new Map<string, Entry>();

  /** The parsed file, or undefined when it does not exist. Other errors (EACCES, bad JSON) are thrown. */
  async read(path: string): Promise<unknown> {
    const cached = this.#entries.get(path);
    if (cached !== undefined) {
      let st;
      try {
        st = await stat(path, { bigint: true });
      } catch (err) {
        this.#entries.delete(path);
        if (isErrno(err, 'ENOENT')) return undefined;
        throw err;
      }
      if (identity(st) === cached.key) return JSON.parse(cached.text) as unknown;
    }
    // fstat on the handle that is read: the identity recorded is the identity of the bytes parsed.
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      this.#entries.delete(path);
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
    try {
      const st = await handle.stat({ bigint: true });
      const text = await handle.readFile('utf8');
      const value: unknown = JSON.parse(text);
      const nowNs = BigInt(Date.now()) * 1_000_000n;
      const quiet = nowNs - st.mtimeNs > RACY_MS * 1_000_000n && nowNs - st.ctimeNs > RACY_MS * 1_000_000n;
      if (quiet) this.#entries.set(path, { key: identity(st), text });
      else this.#entries.delete(path);
      return value;
    } finally {
      await handle.close();
    }
  }

  /** Forgets every path for which keep() is false (containers that are gone). */
  prune(keep: (path: string) => boolean): void {
    for (const path of this.#entries.keys()) if (!keep(path)) this.#entries.delete(path);
  }
}
