import { createHash, randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { createReadStream, lstatSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import { exec, exists, fsyncDir, isErrno, joinWithin, writeFileAtomic } from '../core/index.js';
import { KeyFile } from '../formats/keyfile.js';
import { decodeArchiveHeader, decodeCommit, decodeDirMeta, decodeDirTree, decodeOstreeMeta, loosePath, S_IFLNK, S_IFMT, S_IFREG, type Commit, type DirMeta, type DirTree, type FileHeader, type ObjectType } from '../formats/ostree/index.js';
import { isChecksum } from '../formats/ostree/index.js';
import {
  AmbiguousRev, InvalidRef, ObjectCorrupt, ObjectNotFound, RefNotFound, RepoBadConfig, RepoBadMode, RepoExists, RepoNotFound,
} from './errors.js';
import { getXattr, readXattrs } from './xattrs.js';
import { readVerifiedMetaSync } from './verified-meta.js';

/**
 * An OSTree repository on disk, compatible with libostree 2022.7 (`ostree --repo=…`).
 *
 * Vocabulary: objects are content-addressed by SHA-256 (`file` content objects; `dirtree`,
 * `dirmeta`, `commit` metadata objects). Refs name commits (`refs/heads/a/b`, or
 * `refs/remotes/REMOTE/a/b` spelled `REMOTE:a/b`). Writes happen in a transaction (see
 * transaction.ts): objects are staged under `tmp/staging-*`, made durable with one syncfs,
 * renamed into `objects/`, and only then do refs move.
 */
export type RepoMode = 'bare' | 'bare-user' | 'bare-user-only' | 'archive';
export const REPO_MODES: readonly RepoMode[] = ['bare', 'bare-user', 'bare-user-only', 'archive'];

/** ostree's ref grammar: fragments of [\w\d][-._\w\d]* joined by '/'; never '.', '..' or a checksum. */
const REF_FRAGMENT = '[\\w\\d][-._\\w\\d]*';
const REF_REGEXP = new RegExp(`^(?:${REF_FRAGMENT}/)*${REF_FRAGMENT}$`, 'u');
const REMOTE_REGEXP = new RegExp(`^${REF_FRAGMENT}$`, 'u');

export function isValidRefName(ref: string): boolean {
  return REF_REGEXP.test(ref);
}

export function validateRefName(ref: string): void {
  if (!REF_REGEXP.test(ref)) throw new InvalidRef(`Invalid ref name ${ref}`, { ref });
}

/** `remote:ref` or `ref` → parts, validated. */
export function parseRefspec(refspec: string): { remote: string | undefined; ref: string } {
  const colon = refspec.indexOf(':');
  const remote = colon < 0 ? undefined : refspec.slice(0, colon);
  const ref = colon < 0 ? refspec : refspec.slice(colon + 1);
  if (remote !== undefined && !REMOTE_REGEXP.test(remote)) throw new InvalidRef(`Invalid remote name ${remote}`, { ref: refspec });
  validateRefName(ref);
  return { remote, ref };
}

export function modeFromConfig(s: string): RepoMode {
  switch (s) {
    case 'bare':
    case 'bare-user':
    case 'bare-user-only':
      return s;
    case 'archive':
    case 'archive-z2':
      return 'archive';
    default:
      throw new RepoBadMode(`Invalid mode '${s}' in repository configuration`, { mode: s });
  }
}

export function modeToConfig(m: RepoMode): string {
  return m === 'archive' ? 'archive-z2' : m;
}

export interface ContentObject {
  readonly header: FileHeader;
  /** Uncompressed size in bytes (0 for symlinks). */
  readonly size: number;
  /** Path of a plain file holding exactly the content (bare modes), for hardlinks and copies. */
  readonly plainPath: string | undefined;
  /** Streams the uncompressed content (empty for symlinks). */
  open(): Readable;
}

export class Repo {
  readonly path: string;
  readonly mode: RepoMode;
  #config: KeyFile;
  readonly #madeDirs = new Set<string>();

  private constructor(repoPath: string, config: KeyFile, mode: RepoMode) {
    this.path = repoPath;
    this.#config = config;
    this.mode = mode;
  }

  get config(): KeyFile {
    return this.#config;
  }

  /** `ostree init`: the layout of repo_create_at_internal, mode 0775 directories. */
  static async init(repoPath: string, options: { mode?: RepoMode; collectionId?: string } = {}): Promise<Repo> {
    const mode = options.mode ?? 'bare';
    const root = path.resolve(repoPath);
    const configPath = path.join(root, 'config');
    if (await exists(configPath)) {
      const repo = await Repo.open(root);
      if (repo.mode !== mode) {
        throw new RepoExists(`Repository at ${root} already exists with mode ${modeToConfig(repo.mode)}`, { path: root });
      }
      return repo;
    }
    await fsp.mkdir(root, { recursive: true, mode: 0o775 });
    for (const d of ['tmp', 'extensions', 'state', 'refs', 'refs/heads', 'refs/mirrors', 'refs/remotes', 'objects']) {
      await fsp.mkdir(path.join(root, d), { recursive: true, mode: 0o775 });
    }
    let text = `[core]\nrepo_version=1\nmode=${modeToConfig(mode)}\n`;
    if (options.collectionId !== undefined) text += `collection-id=${options.collectionId}\n`;
    await writeFileAtomic(configPath, text);
    return Repo.open(root);
  }

  static async open(repoPath: string): Promise<Repo> {
    const root = path.resolve(repoPath);
    let text: string;
    try {
      text = await fsp.readFile(path.join(root, 'config'), 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) {
        throw new RepoNotFound(`opening repo: opendir(${repoPath}): No such file or directory`, { path: root }, { cause: err });
      }
      throw err;
    }
    const config = KeyFile.parse(text);
    const version = config.getString('core', 'repo_version');
    if (version !== '1') {
      throw new RepoBadConfig(`Invalid repository version ${JSON.stringify(version ?? '')}`, { path: root, reason: 'repo_version' });
    }
    if (config.getBoolean('core', 'archive') === true) {
      throw new RepoBadConfig('This version of OSTree no longer supports "archive" repositories; use archive-z2 instead', { path: root, reason: 'archive' });
    }
    const mode = modeFromConfig(config.getString('core', 'mode') ?? 'bare');
    return new Repo(root, config, mode);
  }

  async writeConfig(config: KeyFile): Promise<void> {
    await writeFileAtomic(path.join(this.path, 'config'), config.toString());
    this.#config = config;
  }

  #fsyncOverride: boolean | undefined;

  /** `[core] fsync` (default true), or the `--fsync=` of one command: when false, no syncfs before objects become visible. */
  get fsyncEnabled(): boolean {
    return this.#fsyncOverride ?? this.#config.getBoolean('core', 'fsync') ?? true;
  }

  setFsync(enabled: boolean): void {
    this.#fsyncOverride = enabled;
  }

  get zlibLevel(): number {
    const l = this.#config.getInteger('archive', 'zlib-level') ?? 6;
    return Math.min(9, Math.max(1, l));
  }

  objectPath(checksum: string, type: ObjectType): string {
    return path.join(this.path, loosePath(checksum, type, this.mode === 'archive'));
  }

  async hasObject(checksum: string, type: ObjectType): Promise<boolean> {
    return exists(this.objectPath(checksum, type));
  }

  /** hasObject without a thread-pool round trip (one lstat), for hot loops. */
  hasObjectSync(checksum: string, type: ObjectType): boolean {
    try {
      lstatSync(this.objectPath(checksum, type));
      return true;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      throw err;
    }
  }

  /** Makes objects/XX once per process. */
  async ensureObjectDir(prefix: string): Promise<string> {
    const dir = path.join(this.path, 'objects', prefix);
    if (!this.#madeDirs.has(prefix)) {
      await fsp.mkdir(dir, { recursive: true, mode: 0o775 });
      this.#madeDirs.add(prefix);
    }
    return dir;
  }

  // ---- metadata objects -------------------------------------------------------------------------

  async readMetadata(checksum: string, type: ObjectType, options: { verify?: boolean } = {}): Promise<Uint8Array> {
    let bytes: Buffer;
    try {
      bytes = await fsp.readFile(this.objectPath(checksum, type));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) {
        throw new ObjectNotFound(`No such metadata object ${checksum}.${type}`, { checksum, type }, { cause: err });
      }
      throw err;
    }
    const data = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (options.verify ?? false) {
      const actual = createHash('sha256').update(data).digest('hex');
      if (actual !== checksum) {
        throw new ObjectCorrupt(`Corrupted metadata object; checksum expected='${checksum}' actual='${actual}'`, { checksum, type, reason: 'checksum' });
      }
    }
    return data;
  }

  /** Reads, verifies the checksum (metadata objects are small) and decodes. */
  async #decoded<T>(checksum: string, type: ObjectType, decode: (b: Uint8Array) => T): Promise<T> {
    const bytes = await this.readMetadata(checksum, type, { verify: true });
    try {
      return decode(bytes);
    } catch (err) {
      throw new ObjectCorrupt(`Corrupted ${type} object ${checksum}: ${(err as Error).message}`, { checksum, type, reason: 'decode' }, { cause: err });
    }
  }

  /** Synchronous, verified read of a small metadata object (hot loops such as checkout). */
  #decodedSync<T>(checksum: string, type: ObjectType, decode: (b: Uint8Array) => T): T {
    return readVerifiedMetaSync(this.objectPath(checksum, type), checksum, type, decode);
  }

  // The checksum is verified first, so these skip GVariant's normal-form re-encode (as ostree
  // trusts local objects on load); names and modes are still validated.
  loadDirTreeSync(checksum: string): DirTree {
    return this.#decodedSync(checksum, 'dirtree', (b) => decodeDirTree(b, { requireNormal: false }));
  }

  loadDirMetaSync(checksum: string): DirMeta {
    return this.#decodedSync(checksum, 'dirmeta', (b) => decodeDirMeta(b, { requireNormal: false }));
  }

  /** objectPath() for checksums that came out of a verified dirtree: no re-validation, plain concatenation. */
  trustedObjectPath(checksum: string, type: ObjectType): string {
    return `${this.path}/objects/${checksum.slice(0, 2)}/${checksum.slice(2)}.${type}${type === 'file' && this.mode === 'archive' ? 'z' : ''}`;
  }

  loadCommit(checksum: string): Promise<Commit> {
    return this.#decoded(checksum, 'commit', decodeCommit);
  }

  loadDirTree(checksum: string): Promise<DirTree> {
    return this.#decoded(checksum, 'dirtree', decodeDirTree);
  }

  loadDirMeta(checksum: string): Promise<DirMeta> {
    return this.#decoded(checksum, 'dirmeta', decodeDirMeta);
  }

  // ---- content objects --------------------------------------------------------------------------

  /** Opens a content object in any mode; the header is the one its checksum covers. */
  async loadFile(checksum: string): Promise<ContentObject> {
    const p = this.objectPath(checksum, 'file');
    let st: Stats;
    try {
      st = await fsp.lstat(p);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new ObjectNotFound(`No such file object ${checksum}`, { checksum, type: 'file' }, { cause: err });
      throw err;
    }
    const corrupt = (reason: string, cause?: unknown): never => {
      throw new ObjectCorrupt(`Corrupted file object ${checksum}: ${reason}`, { checksum, type: 'file', reason }, cause === undefined ? undefined : { cause });
    };
    switch (this.mode) {
      case 'archive': {
        const fh = await fsp.open(p, 'r');
        let raw: Buffer;
        try {
          const prefix = Buffer.alloc(8);
          await fh.read(prefix, 0, 8, 0);
          const len = prefix.readUInt32BE(0);
          if (len > 1 << 20 || 8 + len > st.size) corrupt('bad header length');
          raw = Buffer.alloc(8 + len);
          await fh.read(raw, 0, 8 + len, 0);
        } finally {
          await fh.close();
        }
        let parsed: ReturnType<typeof decodeArchiveHeader>;
        try {
          parsed = decodeArchiveHeader(raw);
        } catch (err) {
          return corrupt((err as Error).message, err);
        }
        const start = parsed.contentOffset;
        const isLink = (parsed.header.mode & S_IFMT) === S_IFLNK;
        return {
          header: parsed.header,
          size: isLink ? 0 : parsed.size,
          plainPath: undefined,
          open: () => (isLink ? Readable.from([]) : createReadStream(p, { start }).pipe(createInflateRaw())),
        };
      }
      case 'bare': {
        const xattrs = st.isSymbolicLink() ? [] : await readXattrs(p);
        if (st.isSymbolicLink()) {
          const target = await fsp.readlink(p);
          return { header: { uid: st.uid, gid: st.gid, mode: st.mode, symlinkTarget: target, xattrs }, size: 0, plainPath: undefined, open: () => Readable.from([]) };
        }
        if (!st.isFile()) corrupt('not a regular file');
        return { header: { uid: st.uid, gid: st.gid, mode: st.mode, symlinkTarget: '', xattrs }, size: st.size, plainPath: p, open: () => createReadStream(p) };
      }
      case 'bare-user': {
        if (!st.isFile()) corrupt('not a regular file');
        const metaBytes = await getXattr(p, 'user.ostreemeta');
        if (metaBytes === undefined) corrupt('missing user.ostreemeta');
        let meta: ReturnType<typeof decodeOstreeMeta>;
        try {
          meta = decodeOstreeMeta(metaBytes!);
        } catch (err) {
          return corrupt((err as Error).message, err);
        }
        if ((meta.mode & S_IFMT) === S_IFLNK) {
          const buf = await fsp.readFile(p);
          if (buf.length === 0 || buf[buf.length - 1] !== 0) corrupt('symlink target is not NUL-terminated');
          const target = buf.subarray(0, buf.length - 1).toString('utf8');
          return { header: { ...meta, symlinkTarget: target }, size: 0, plainPath: undefined, open: () => Readable.from([]) };
        }
        return { header: { ...meta, symlinkTarget: '' }, size: st.size, plainPath: p, open: () => createReadStream(p) };
      }
      case 'bare-user-only': {
        if (st.isSymbolicLink()) {
          return { header: { uid: 0, gid: 0, mode: st.mode, symlinkTarget: await fsp.readlink(p), xattrs: [] }, size: 0, plainPath: undefined, open: () => Readable.from([]) };
        }
        if (!st.isFile()) corrupt('not a regular file');
        return { header: { uid: 0, gid: 0, mode: S_IFREG | (st.mode & 0o7777), symlinkTarget: '', xattrs: [] }, size: st.size, plainPath: p, open: () => createReadStream(p) };
      }
    }
  }

  // ---- refs ---------------------------------------------------------------------------------------

  #refPath(refspec: string): string {
    const { remote, ref } = parseRefspec(refspec);
    return remote === undefined
      ? joinWithin(path.join(this.path, 'refs', 'heads'), ref)
      : joinWithin(path.join(this.path, 'refs', 'remotes', remote), ref);
  }

  /** The commit a ref points to, or undefined. */
  async readRef(refspec: string): Promise<string | undefined> {
    let text: string;
    try {
      text = await fsp.readFile(this.#refPath(refspec), 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR') || isErrno(err, 'EISDIR')) return undefined;
      throw err;
    }
    const csum = text.trim();
    if (!isChecksum(csum)) throw new RepoBadConfig(`Invalid checksum in ref ${refspec}: ${JSON.stringify(csum)}`, { path: this.#refPath(refspec), reason: 'ref' });
    return csum;
  }

  /** Points `refspec` at `checksum` (crash-safe), or deletes it when checksum is undefined. */
  async setRef(refspec: string, checksum: string | undefined): Promise<void> {
    const p = this.#refPath(refspec);
    if (checksum === undefined) {
      try {
        await fsp.unlink(p);
      } catch (err) {
        if (!isErrno(err, 'ENOENT')) throw err;
      }
      return;
    }
    if (!isChecksum(checksum)) throw new InvalidRef(`Invalid checksum ${JSON.stringify(checksum)} for ref ${refspec}`, { ref: refspec });
    if (isChecksum(parseRefspec(refspec).ref)) throw new InvalidRef(`Invalid ref name ${refspec}: a ref may not be a checksum`, { ref: refspec });
    await fsp.mkdir(path.dirname(p), { recursive: true, mode: 0o775 });
    await writeFileAtomic(p, `${checksum}\n`, { durable: this.fsyncEnabled });
  }

  /** All refs: local ones by name, remote ones as `remote:ref`, sorted like `ostree refs`. */
  async listRefs(options: { prefix?: string; remotes?: boolean } = {}): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const walk = async (dir: string, rel: string, name: (r: string) => string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await fsp.readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (isErrno(err, 'ENOENT')) return;
        throw err;
      }
      for (const e of entries) {
        const r = rel === '' ? e.name : `${rel}/${e.name}`;
        if (e.isDirectory()) await walk(path.join(dir, e.name), r, name);
        else if (e.isFile()) {
          const csum = (await fsp.readFile(path.join(dir, e.name), 'utf8')).trim();
          if (isChecksum(csum)) out.set(name(r), csum);
        }
      }
    };
    await walk(path.join(this.path, 'refs', 'heads'), '', (r) => r);
    if (options.remotes ?? true) {
      let remotes: string[] = [];
      try {
        remotes = await fsp.readdir(path.join(this.path, 'refs', 'remotes'));
      } catch (err) {
        if (!isErrno(err, 'ENOENT')) throw err;
      }
      for (const remote of remotes) await walk(path.join(this.path, 'refs', 'remotes', remote), '', (r) => `${remote}:${r}`);
    }
    const sorted = [...out].filter(([k]) => options.prefix === undefined || k === options.prefix || k.startsWith(`${options.prefix}/`) || k.startsWith(options.prefix));
    sorted.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return new Map(sorted);
  }

  /**
   * `ostree rev-parse`: a full checksum, a ref (local, then `remote:ref`), `REV^` for the parent,
   * or a unique checksum prefix of at least 4 hex digits.
   */
  async resolveRev(rev: string, options: { allowMissing?: boolean } = {}): Promise<string | undefined> {
    if (rev.endsWith('^')) {
      const child = await this.resolveRev(rev.slice(0, -1));
      const commit = await this.loadCommit(child!);
      if (commit.parent === undefined) throw new RefNotFound(`Commit ${child} has no parent`, { ref: rev });
      return commit.parent;
    }
    if (isChecksum(rev)) return rev;
    let refErr: unknown;
    try {
      parseRefspec(rev);
      const viaRef = await this.readRef(rev);
      if (viaRef !== undefined) return viaRef;
      if (!rev.includes(':')) {
        // ostree also finds a bare name among remote refs when it is unique
        const all = await this.listRefs();
        const matches = [...all].filter(([k]) => k.endsWith(`:${rev}`));
        if (matches.length === 1) return matches[0]![1];
      }
    } catch (err) {
      refErr = err;
    }
    if (/^[0-9a-f]{4,63}$/.test(rev)) {
      const found = await this.#findByPrefix(rev);
      if (found.length === 1) return found[0];
      if (found.length > 1) throw new AmbiguousRev(`Ambiguous commit prefix '${rev}'`, { rev });
    }
    if (options.allowMissing ?? false) return undefined;
    if (refErr !== undefined) throw refErr;
    throw new RefNotFound(`Refspec '${rev}' not found`, { ref: rev });
  }

  async #findByPrefix(prefix: string): Promise<string[]> {
    let names: string[];
    try {
      names = await fsp.readdir(path.join(this.path, 'objects', prefix.slice(0, 2)));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return [];
      throw err;
    }
    const rest = prefix.slice(2);
    return names.filter((n) => n.endsWith('.commit') && n.startsWith(rest)).map((n) => prefix.slice(0, 2) + n.slice(0, -'.commit'.length));
  }

  /** syncfs of the repo's filesystem (coreutils `sync -f`), one call instead of an fsync per object. */
  async syncFilesystem(): Promise<void> {
    await exec(['sync', '-f', path.join(this.path, 'tmp')], { pkg: 'coreutils' });
  }

  async newStagingDir(): Promise<string> {
    await this.#expireStaging();
    const dir = path.join(this.path, 'tmp', `staging-${randomBytes(8).toString('hex')}`);
    await fsp.mkdir(dir, { recursive: true, mode: 0o775 });
    return dir;
  }

  /**
   * Staging dirs of transactions that died (crash, kill) are removed once older than
   * `core.tmp-expiry-secs` (default one day), as ostree does; live ones are far younger.
   */
  async #expireStaging(): Promise<void> {
    const tmp = path.join(this.path, 'tmp');
    const expiry = (this.#config.getInteger('core', 'tmp-expiry-secs') ?? 86400) * 1000;
    let names: string[];
    try {
      names = await fsp.readdir(tmp);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return;
      throw err;
    }
    const now = Date.now();
    for (const name of names) {
      if (!name.startsWith('staging-')) continue;
      const p = path.join(tmp, name);
      const st = await fsp.lstat(p).catch(() => undefined);
      if (st?.isDirectory() === true && now - st.mtimeMs > expiry) await fsp.rm(p, { recursive: true, force: true });
    }
  }

  async fsyncObjectDirs(prefixes: Iterable<string>): Promise<void> {
    for (const p of prefixes) await fsyncDir(path.join(this.path, 'objects', p));
  }
}

