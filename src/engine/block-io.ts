/**
 * Block I/O of a container's cgroup for `stats` (docker's BLOCK I/O column): bytes read and written,
 * summed over devices. cgroup v1 counts in blkio.throttle.io_service_bytes_recursive ("MAJ:MIN Read N"),
 * v2 in io.stat ("MAJ:MIN rbytes=N wbytes=N …"). v1 only sees I/O that reaches the block layer in the
 * cgroup's name (reads, direct writes), as docker's numbers do on such hosts.
 */
import { readFile } from 'node:fs/promises';

export interface BlockIo {
  readonly read: number;
  readonly write: number;
}

export function parseBlkioServiceBytes(text: string): BlockIo {
  let read = 0, write = 0;
  for (const line of text.split('\n')) {
    const [dev, op, value] = line.trim().split(/\s+/);
    if (dev === undefined || !/^\d+:\d+$/.test(dev)) continue; // the "Total N" line repeats the sum
    if (op === 'Read') read += Number(value) || 0;
    else if (op === 'Write') write += Number(value) || 0;
  }
  return { read, write };
}

export function parseIoStat(text: string): BlockIo {
  let read = 0, write = 0;
  for (const line of text.split('\n')) {
    for (const field of line.trim().split(/\s+/).slice(1)) {
      const [key, value] = field.split('=');
      if (key === 'rbytes') read += Number(value) || 0;
      else if (key === 'wbytes') write += Number(value) || 0;
    }
  }
  return { read, write };
}

/** `cgroup` is the container's cgroup path below each hierarchy's root (e.g. /berth/ID). */
export async function readBlockIo(cgroup: string, v2: boolean): Promise<BlockIo> {
  if (v2) return parseIoStat(await readFile(`/sys/fs/cgroup${cgroup}/io.stat`, 'utf8').catch(() => ''));
  const dir = `/sys/fs/cgroup/blkio${cgroup}`;
  const text = await readFile(`${dir}/blkio.throttle.io_service_bytes_recursive`, 'utf8')
    .catch(() => readFile(`${dir}/blkio.throttle.io_service_bytes`, 'utf8'))
    .catch(() => '');
  return parseBlkioServiceBytes(text);
}
