/**
 * Wakes a loop that re-reads a container's files when one of them changes, instead of polling them every
 * few milliseconds: fs.watch (inotify) on a few directories, filtered by file name. The loop still re-reads
 * after `next(ms)`'s timeout, so a missed event (a directory that could not be watched, a change that
 * leaves no file behind, such as a monitor that died) only costs that interval.
 */
import { watch, type FSWatcher } from 'node:fs';

/** A directory and the names in it that matter (an event without a name always counts). */
export interface WatchedDir {
  readonly dir: string;
  readonly names: (name: string) => boolean;
}

export class DirWatch {
  readonly #watchers: FSWatcher[] = [];
  #changed = false;
  #wake: (() => void) | undefined;
  /** True when every directory is watched: callers may then wait longer between re-reads. */
  readonly complete: boolean;

  constructor(dirs: readonly WatchedDir[]) {
    for (const { dir, names } of dirs) {
      try {
        const w = watch(dir, { persistent: false }, (_event, name) => {
          if (name === null || names(String(name))) this.#poke();
        });
        w.on('error', () => w.close()); // the directory went away: the timeouts take over
        this.#watchers.push(w);
      } catch {
        /* missing directory or no inotify watch left: timeouts only */
      }
    }
    this.complete = this.#watchers.length === dirs.length;
  }

  #poke(): void {
    this.#changed = true;
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /**
   * Resolves at the next change (at once if one happened since the last call), after `ms` at the latest,
   * or when `signal` aborts (the caller checks it).
   */
  next(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.#changed || signal?.aborted) {
      this.#changed = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.#wake = undefined;
        this.#changed = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  close(): void {
    for (const w of this.#watchers.splice(0)) w.close();
    this.#wake?.();
  }
}
