/**
 * What the sysroot needs from an OSTree repository: `ostree/repo` inside the sysroot.
 * The sysroot depends on this narrow interface, not on a repository class; `openSysrootRepo`
 * in repo-adapter.ts provides the implementation over src/ostree.
 */
export interface CommitInfo {
  readonly checksum: string;
  /** Unix seconds, as stored in the commit. */
  readonly timestamp: number;
  readonly subject: string;
  readonly version?: string;
  readonly parent?: string;
}

export interface TreeDiff {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly modified: readonly string[];
}

export interface SysrootRepo {
  /** A ref (`REMOTE:REF` or `REF`), a checksum or a unique checksum prefix, to a commit checksum. */
  resolveRev(refspec: string): Promise<string>;
  readCommit(checksum: string): Promise<CommitInfo>;
  /** Hardlink checkout of the whole commit into `dest`, which must not exist. */
  checkout(checksum: string, dest: string): Promise<void>;
  /** Refs under `prefix` (e.g. `ostree/`), name to checksum. */
  listRefs(prefix: string): Promise<Map<string, string>>;
  /** Writes or (with undefined) deletes a local ref. */
  setRef(ref: string, checksum: string | undefined): Promise<void>;
  /** File-level difference between two commits, paths absolute within the tree. */
  diff(from: string, to: string): Promise<TreeDiff>;
  /** Deletes objects no ref reaches; returns how many. Optional: a repo may not support it. */
  prune?(): Promise<{ readonly objects: number; readonly bytes: number }>;
  /** Brings a `remote:ref` refspec up to date from its remote (metadata only with `check`). */
  refresh?(refspec: string, options?: { readonly check?: boolean }): Promise<boolean>;
}
