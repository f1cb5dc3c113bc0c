/**
 * `cp` as tar streams (what docker's archive endpoints carry): pack a file or directory, and extract
 * into a directory without ever writing outside it (no `..`, no absolute names, no writing through
 * symlinks, links must stay inside).
 */
import { createReadStream } from 'node:fs';
import { chmod, lchown, link, lstat, mkdir, readdir, readlink, rm, symlink, utimes } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { joinWithin } from '../core/index.js';
import { InvalidOption, NoSuchContainer } from './errors.js';

/** `name`: the archive's top entry, the basename the caller asked for (the host path may be a link's target). */
export async function copyFromDir(hostPath: string, name = path.basename(hostPath)): Promise<Readable> {
  const st = await lstat(hostPath).catch(() => undefined);
  if (st === undefined) throw new NoSuchContainer(`Could not find the file ${name} in container`, { ref: name });
  const pack = tarStream.pack();
  const base = name;
  const add = async (abs: string, name: string): Promise<void> => {
    const s = await lstat(abs);
    const common = { name, mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, mtime: s.mtime };
    if (s.isDirectory()) {
      pack.entry({ ...common, type: 'directory' });
      for (const child of (await readdir(abs)).sort()) await add(`${abs}/${child}`, `${name}/${child}`);
    } else if (s.isSymbolicLink()) {
      pack.entry({ ...common, type: 'symlink', linkname: await readlink(abs) });
    } else if (s.isFile()) {
      await new Promise<void>((resolve, reject) => {
        const entry = pack.entry({ ...common, type: 'file', size: s.size }, (err) => (err ? reject(err) : resolve()));
        createReadStream(abs).on('error', reject).pipe(entry);
      });
    }
  };
  void add(hostPath, base).then(() => pack.finalize(), (err: Error) => pack.destroy(err));
  return pack as unknown as Readable;
}

async function assertNoSymlinkParents(root: string, target: string): Promise<void> {
  const rel = path.relative(root, path.dirname(target));
  let cur = root;
  for (const part of rel.split(path.sep).filter(Boolean)) {
    cur = `${cur}/${part}`;
    const s = await lstat(cur).catch(() => undefined);
    if (s?.isSymbolicLink()) throw new InvalidOption(`Refusing to write through symlink ${JSON.stringify(cur)}`, { option: 'path', value: target });
  }
}

export async function copyToDir(destDir: string, tar: Readable): Promise<void> {
  const st = await lstat(destDir).catch(() => undefined);
  if (!st?.isDirectory()) throw new InvalidOption(`Destination ${JSON.stringify(destDir)} must be a directory`, { option: 'path', value: destDir });
  const extract = tarStream.extract();
  const dirTimes: Array<[string, Date]> = [];
  extract.on('entry', (header, stream, next) => {
    void (async () => {
      const name = header.name.replace(/^\.\//, '');
      if (name === '' || name === '.') {
        stream.resume();
        return;
      }
      if (path.isAbsolute(name) || name.split('/').includes('..')) throw new InvalidOption(`Unsafe path in archive ${JSON.stringify(header.name)}`, { option: 'tar', value: header.name });
      const target = joinWithin(destDir, name);
      await assertNoSymlinkParents(destDir, target);
      await mkdir(path.dirname(target), { recursive: true });
      const existing = await lstat(target).catch(() => undefined);
      if (existing && (header.type !== 'directory' || !existing.isDirectory())) await rm(target, { recursive: true, force: true });
      switch (header.type) {
        case 'directory':
          await mkdir(target, { recursive: true });
          await chmod(target, (header.mode ?? 0o755) & 0o7777);
          if (header.mtime) dirTimes.push([target, header.mtime]);
          stream.resume();
          break;
        case 'symlink':
          await symlink(header.linkname ?? '', target);
          stream.resume();
          break;
        case 'link': {
          const src = joinWithin(destDir, (header.linkname ?? '').replace(/^\.\//, ''));
          await link(src, target);
          stream.resume();
          break;
        }
        case 'file':
        case 'contiguous-file':
          await pipeline(stream, createWriteStream(target, { mode: (header.mode ?? 0o644) & 0o7777 }));
          await chmod(target, (header.mode ?? 0o644) & 0o7777);
          if (header.mtime) await utimes(target, header.mtime, header.mtime);
          break;
        default:
          stream.resume();
      }
      if (header.type !== 'symlink') await lchown(target, header.uid ?? 0, header.gid ?? 0).catch(() => undefined);
    })().then(() => next(), (err: Error) => {
      stream.resume();
      extract.destroy(err);
    });
  });
  await pipeline(tar, extract);
  for (const [d, t] of dirTimes.reverse()) await utimes(d, t, t).catch(() => undefined);
}
