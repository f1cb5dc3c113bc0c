import { pack, type Header as Headers } from 'tar-stream';

/**
 * Deterministic tar writing for tests and fixtures: entries in the order given, uid/gid 0 unless set,
 * mtime 0, no user/group names. Also writes entries a well-behaved tar never holds ("..", absolute
 * names, links pointing outside) so the unpacker's refusals can be tested.
 */
export interface TarEntrySpec {
  readonly path: string;
  readonly type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  readonly content?: Uint8Array | string;
  readonly mode?: number;
  readonly linkname?: string;
  readonly uid?: number;
  readonly gid?: number;
  readonly mtime?: number; // seconds
  readonly devmajor?: number;
  readonly devminor?: number;
}

export async function buildTar(entries: readonly TarEntrySpec[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of p) chunks.push(c as Buffer);
  })();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header: Headers = {
      size: 0,
      name: e.path,
      type,
      mode: e.mode ?? (type === 'directory' ? 0o755 : type === 'symlink' ? 0o777 : 0o644),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: new Date((e.mtime ?? 0) * 1000),
      uname: '',
      gname: '',
      linkname: e.linkname ?? '',
      devmajor: e.devmajor ?? 0,
      devminor: e.devminor ?? 0,
    };
    const body = type === 'file' ? Buffer.from(e.content ?? '') : undefined;
    await new Promise<void>((resolve, reject) => {
      if (body !== undefined) p.entry({ ...header, size: body.length }, body, (err) => (err ? reject(err) : resolve()));
      else p.entry({ ...header, size: 0 }, (err) => (err ? reject(err) : resolve()));
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}
