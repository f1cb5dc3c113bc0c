import { encodeDirTree } from '../formats/ostree/index.js';
import type { Repo } from './repo.js';
import type { Transaction } from './transaction.js';

/**
 * A mutable directory tree being assembled for a commit (ostree's OstreeMutableTree): file names
 * map to content checksums, directory names to subtrees. A subtree may still be "lazy": it stands
 * for a dirtree already in the repo and is only expanded when something is layered on top of it.
 */
export class MutableTree {
  metaChecksum: string | undefined;
  readonly files = new Map<string, string>();
  readonly dirs = new Map<string, MutableTree>();
  #lazyTree: string | undefined;

  static fromRepo(treeChecksum: string, metaChecksum: string): MutableTree {
    const t = new MutableTree();
    t.#lazyTree = treeChecksum;
    t.metaChecksum = metaChecksum;
    return t;
  }

  async expand(repo: Repo): Promise<void> {
    if (this.#lazyTree === undefined) return;
    const tree = await repo.loadDirTree(this.#lazyTree);
    this.#lazyTree = undefined;
    for (const f of tree.files) this.files.set(f.name, f.checksum);
    for (const d of tree.dirs) this.dirs.set(d.name, MutableTree.fromRepo(d.treeChecksum, d.metaChecksum));
  }

  setFile(name: string, checksum: string): void {
    this.dirs.delete(name);
    this.files.set(name, checksum);
  }

  /** The subdirectory `name`, created (with no metadata yet) or replacing a file of that name. */
  ensureDir(name: string): MutableTree {
    let d = this.dirs.get(name);
    if (d === undefined) {
      this.files.delete(name);
      d = new MutableTree();
      this.dirs.set(name, d);
    }
    return d;
  }

  /** Writes dirtrees bottom-up; returns this tree's dirtree checksum. */
  async write(tx: Transaction, defaultMeta: () => Promise<string>): Promise<string> {
    if (this.#lazyTree !== undefined) return this.#lazyTree;
    const dirs: Array<{ name: string; treeChecksum: string; metaChecksum: string }> = [];
    for (const [name, d] of this.dirs) {
      const treeChecksum = await d.write(tx, defaultMeta);
      d.metaChecksum ??= await defaultMeta();
      dirs.push({ name, treeChecksum, metaChecksum: d.metaChecksum });
    }
    const files = [...this.files].map(([name, checksum]) => ({ name, checksum }));
    return tx.writeMetadata('dirtree', encodeDirTree({ files, dirs }));
  }
}

/** A small counting semaphore: at most `limit` tasks in flight. */
export class Limiter {
  readonly #limit: number;
  #active = 0;
  readonly #queue: Array<() => void> = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#limit) await new Promise<void>((resolve) => this.#queue.push(resolve));
    this.#active++;
    try {
      return await fn();
    } finally {
      this.#active--;
      this.#queue.shift()?.();
    }
  }
}
