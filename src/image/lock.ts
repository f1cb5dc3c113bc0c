import * as fsp from 'node:fs/promises';
import { isErrno } from '../core/index.js';
import { StoreLocked } from './errors.js';

/**
 * A cross-process lock file (O_EXCL create, holder pid inside; a dead holder's lock is taken over)
 * plus an in-process queue, so the CLI and the daemon can both change the image index.
 */
export class FileLock {
  readonly #path: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(lockPath: string) {
    this.#path = lockPath;
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(() => this.#locked(fn));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #locked<T>(fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + 30_000;
    for (let attempt = 0; ; attempt++) {
      try {
        const fh = await fsp.open(this.#path, 'wx');
        await fh.writeFile(String(process.pid));
        await fh.close();
        break;
      } catch (err) {
        if (!isErrno(err, 'EEXIST')) throw err;
        const holder = Number((await fsp.readFile(this.#path, 'utf8').catch(() => '')).trim());
        if (Number.isInteger(holder) && holder > 0 && !isAlive(holder)) {
          await fsp.unlink(this.#path).catch(() => undefined);
          continue;
        }
        if (Date.now() > deadline || attempt > 3000) {
          throw new StoreLocked(`Image store is locked by process ${holder} (${JSON.stringify(this.#path)})`, { path: this.#path });
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    try {
      return await fn();
    } finally {
      await fsp.unlink(this.#path).catch(() => undefined);
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return !isErrno(err, 'ESRCH');
  }
}
