// Fresh filesystems for benchmark runs that create many inodes.
//
// This machine's root fs is journal-less ext4. Right after a 27k-file repo is deleted, ext4 skips the inodes
// freed in the last 60 s (360 s while their inode-table block is dirty) by scanning the group's bitmap from
// the start on every allocation (ialloc.c find_inode_bit → recently_deleted). A benchmark that deletes each
// run's repo and then times the next run pays seconds of kernel time per run for either tool, varying with
// how many such inodes the group holds. A new, empty ext4 per run gives every run of either tool the same
// starting state.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';

function sh(argv) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (exit ${r.status}): ${(r.stderr ?? '').slice(0, 2000)}`);
}

/** True when loop-mounted scratch filesystems can be made here (root and mkfs.ext4). */
export function canLoopMount() {
  return process.getuid?.() === 0 && spawnSync('mkfs.ext4', ['-V']).status === 0;
}

/**
 * Makes fresh scratch filesystems under `scratchRoot`; `unmountAll()` (also on SIGINT/SIGTERM/SIGHUP, then
 * `onSignal`) unmounts them.
 */
export function freshFilesystems(scratchRoot, { sizeMiB = 4096, onSignal = () => undefined, log = () => undefined } = {}) {
  const mounts = new Set();
  /** A directory on a new, empty journal-less ext4 (sparse image; inode tables written by mkfs, so no lazy-init thread writes during a run). */
  function freshFs(name) {
    const dir = mkdtempSync(join(scratchRoot, `${name}-`));
    const img = join(dir, 'fs.img');
    const mnt = join(dir, 'mnt');
    mkdirSync(mnt);
    sh(['truncate', '-s', `${sizeMiB}M`, img]);
    sh(['mkfs.ext4', '-q', '-F', '-O', '^has_journal', '-E', 'lazy_itable_init=0,nodiscard', img]);
    sh(['mount', '-o', 'loop', img, mnt]);
    mounts.add(mnt);
    return mnt;
  }
  function unmount(mnt) {
    const r = spawnSync('umount', [mnt], { encoding: 'utf8' });
    if (r.status !== 0) log(`bench: umount ${mnt} failed: ${r.stderr.trim()}`);
    else mounts.delete(mnt);
  }
  function unmountAll() {
    for (const mnt of [...mounts]) unmount(mnt);
  }
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      unmountAll();
      onSignal();
      process.exit(130);
    });
  }
  process.on('exit', unmountAll);
  return { freshFs, unmount, unmountAll };
}
