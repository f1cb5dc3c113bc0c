import { S_IFMT, S_IFDIR, S_IFLNK, S_IFREG } from '../../formats/ostree/index.js';
import type { PathEntry } from '../../ostree/index.js';
import { renderXattrs } from './render-xattrs.js';

export interface LsOptions {
  readonly checksum: boolean;
  readonly xattrs: boolean;
}

/** One `ostree ls` line: `d00755 0 0      0 [checksums] [{ xattrs }] /path[ -> target]`. */
export function renderLsLine(e: PathEntry, options: LsOptions): string {
  const isDir = e.info.kind === 'dir';
  const mode = e.info.kind === 'dir' ? e.info.meta.mode : e.info.file.header.mode;
  const uid = e.info.kind === 'dir' ? e.info.meta.uid : e.info.file.header.uid;
  const gid = e.info.kind === 'dir' ? e.info.meta.gid : e.info.file.header.gid;
  const size = e.info.kind === 'dir' ? 0 : e.info.file.size;
  const fmt = mode & S_IFMT;
  const typeChar = fmt === S_IFDIR ? 'd' : fmt === S_IFREG ? '-' : fmt === S_IFLNK ? 'l' : '?';
  let out = `${typeChar}0${(mode & ~S_IFMT & 0o7777).toString(8).padStart(4, '0')} ${uid} ${gid} ${String(size).padStart(6)} `;
  if (options.checksum) {
    out += e.resolved.kind === 'dir' ? `${e.resolved.tree} ${e.resolved.meta} ` : `${e.resolved.checksum} `;
  }
  if (options.xattrs) out += `${renderXattrs(e.info.kind === 'dir' ? e.info.meta.xattrs : e.info.file.header.xattrs)} `;
  out += e.path.path;
  if (!isDir && e.info.kind === 'file' && fmt === S_IFLNK) out += ` -> ${e.info.file.header.symlinkTarget}`;
  return `${out}\n`;
}
