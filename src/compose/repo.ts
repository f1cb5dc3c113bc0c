/**
 * The OSTree repository as compose sees it: resolve a ref, read a commit's metadata (version,
 * input hash, package list), and write a commit from a directory. Reading decodes commit
 * objects with berth's own codecs (formats/ostree); writing drives `ostree commit` until
 * src/ostree's commit builder is exported, then switches to it behind this same interface.
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { exec, isErrno } from '../core/index.js';
import { decodeCommit } from '../formats/ostree/index.js';
import { vardictGet, type GVariantValue, type VardictEntries } from '../formats/gvariant/index.js';
import { ComposeRevNotFound } from './errors.js';
import { type PackageRecord } from './gvariant-text.js';

export interface ComposeCommit {
  readonly checksum: string;
  readonly parent?: string;
  readonly timestamp: number;
  readonly subject: string;
  readonly version?: string;
  readonly inputhash?: string;
  /** From `rpmostree.rpmdb.pkglist`; undefined when the commit has none. */
  readonly packages?: readonly PackageRecord[];
  readonly metadata: VardictEntries;
}

export interface CommitRequest {
  readonly ref: string;
  readonly subject: string;
  /** key → GVariant text. */
  readonly metadata: ReadonlyMap<string, string>;
  readonly bootable?: boolean;
  readonly timestamp?: number;
}

const CHECKSUM_REGEXP = /^[0-9a-f]{64}$/;

export class ComposeRepo {
  readonly path: string;

  constructor(repoPath: string) {
    this.path = path.resolve(repoPath);
  }

  /** Creates the repository when it does not exist yet (mode bare, or archive for serving). */
  static async ensure(repoPath: string, mode: 'bare' | 'archive' | 'bare-user' = 'bare'): Promise<ComposeRepo> {
    try {
      await readFile(path.join(repoPath, 'config'));
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
      await exec(['ostree', `--repo=${repoPath}`, 'init', `--mode=${mode}`], { pkg: 'ostree' });
    }
    return new ComposeRepo(repoPath);
  }

  /** A ref (`REF` or `REMOTE:REF`), optionally with `^` suffixes, or a full checksum; undefined if absent. */
  async resolveRev(rev: string): Promise<string | undefined> {
    const m = /^(.*?)(\^*)$/.exec(rev)!;
    let base = m[1]!;
    let checksum: string | undefined;
    if (CHECKSUM_REGEXP.test(base)) checksum = base;
    else {
      const colon = base.indexOf(':');
      const file = colon >= 0 ? path.join(this.path, 'refs/remotes', base.slice(0, colon), base.slice(colon + 1)) : path.join(this.path, 'refs/heads', base);
      try {
        checksum = (await readFile(file, 'utf8')).trim();
      } catch (err) {
        if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR') || isErrno(err, 'EISDIR')) return undefined;
        throw err;
      }
      base = checksum;
    }
    for (let i = 0; i < m[2]!.length; i++) {
      const parent: string | undefined = (await this.readCommit(checksum)).parent;
      if (parent === undefined) return undefined;
      checksum = parent;
    }
    return checksum;
  }

  async mustResolve(rev: string): Promise<string> {
    const c = await this.resolveRev(rev);
    if (c === undefined) throw new ComposeRevNotFound(`No commit ${JSON.stringify(rev)} in ${JSON.stringify(this.path)}`, { rev });
    return c;
  }

  async readCommit(checksum: string): Promise<ComposeCommit> {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path.join(this.path, 'objects', checksum.slice(0, 2), `${checksum.slice(2)}.commit`));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new ComposeRevNotFound(`No commit ${checksum} in ${JSON.stringify(this.path)}`, { rev: checksum }, { cause: err });
      throw err;
    }
    const c = decodeCommit(bytes);
    const str = (key: string): string | undefined => {
      const v = vardictGet(c.metadata, key);
      return v !== undefined && typeof v.value === 'string' ? v.value : undefined;
    };
    const packages = decodePkglist(vardictGet(c.metadata, 'rpmostree.rpmdb.pkglist')?.value);
    const version = str('version');
    const inputhash = str('rpmostree.inputhash');
    return {
      checksum,
      ...(c.parent !== undefined ? { parent: c.parent } : {}),
      timestamp: c.timestamp,
      subject: c.subject,
      ...(version !== undefined ? { version } : {}),
      ...(inputhash !== undefined ? { inputhash } : {}),
      ...(packages !== undefined ? { packages } : {}),
      metadata: c.metadata,
    };
  }

  /** Commits `dir` onto `ref` (parent: the ref's current commit). Returns the checksum. */
  async commitTree(dir: string, req: CommitRequest): Promise<string> {
    const argv = ['ostree', `--repo=${this.path}`, 'commit', `--branch=${req.ref}`, `--tree=dir=${dir}`, `--subject=${req.subject}`];
    for (const [k, v] of req.metadata) argv.push(`--add-metadata=${k}=${v}`);
    if (req.bootable) argv.push('--bootable');
    if (req.timestamp !== undefined) argv.push(`--timestamp=@${req.timestamp}`);
    const r = await exec(argv, { pkg: 'ostree', timeoutMs: 30 * 60_000 });
    const checksum = r.stdout.toString().trim();
    if (!CHECKSUM_REGEXP.test(checksum)) throw new RangeError(`ostree commit printed ${JSON.stringify(checksum)}`);
    return checksum;
  }

  /** Contents of one file of a commit (`ostree cat`); undefined when absent. */
  async catFile(checksum: string, file: string): Promise<string | undefined> {
    const r = await exec(['ostree', `--repo=${this.path}`, 'cat', checksum, file], { pkg: 'ostree', check: false });
    return r.exitCode === 0 ? r.stdout.toString('utf8') : undefined;
  }
}

function decodePkglist(value: GVariantValue | undefined): PackageRecord[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.map((entry) => {
    const [name, epoch, version, release, arch] = entry as [string, bigint, string, string, string];
    return { name, epoch: Number(epoch), version, release, arch };
  });
}
