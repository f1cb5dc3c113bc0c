// Test helpers only (imported from *.test.ts files): two versions of a small OS-like tree
// committed by the real ostree into an archive repository.
import { mkdir, rm, symlink, writeFile, readFile, appendFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { exec } from '../../core/index.js';

export interface TwoCommits {
  readonly repo: string;
  readonly v1: string;
  readonly v2: string;
  readonly ref: string;
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** v1: ~120 files incl. a 600 KB binary, a 5 MB file, symlinks; v2: edits, appends, adds, removes. */
export async function makeTwoCommits(dir: string, options: { readonly mode?: string; readonly ostreeArgs?: readonly string[] } = {}): Promise<TwoCommits> {
  const repo = join(dir, 'repo');
  const tree = join(dir, 'tree');
  const ref = 'test/os';
  await exec(['ostree', 'init', `--repo=${repo}`, `--mode=${options.mode ?? 'archive'}`]);
  const rnd = seeded(42);
  await mkdir(join(tree, 'usr', 'lib', 'mod'), { recursive: true });
  await mkdir(join(tree, 'usr', 'share', 'doc'), { recursive: true });
  await mkdir(join(tree, 'usr', 'etc'), { recursive: true });
  for (let i = 0; i < 100; i++) {
    const lines = Array.from({ length: 20 + Math.floor(rnd() * 80) }, (_, k) => `line ${k} of file ${i}: ${Math.floor(rnd() * 1e9)}`);
    await writeFile(join(tree, 'usr', 'share', 'doc', `file${i}.txt`), `${lines.join('\n')}\n`);
  }
  await writeFile(join(tree, 'usr', 'lib', 'mod', 'big.bin'), randomBytes(600_000));
  await writeFile(join(tree, 'usr', 'lib', 'mod', 'huge.bin'), randomBytes(5_000_000));
  await writeFile(join(tree, 'usr', 'etc', 'hostname'), 'berth\n');
  await writeFile(join(tree, 'usr', 'lib', 'empty'), '');
  await symlink('mod/big.bin', join(tree, 'usr', 'lib', 'big-link'));
  await writeFile(join(tree, 'usr', 'lib', 'mod', 'exec.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
  const commit = async (subject: string): Promise<string> =>
    (await exec(['ostree', 'commit', `--repo=${repo}`, '-b', ref, '-s', subject, `--tree=dir=${tree}`, ...(options.ostreeArgs ?? [])])).stdout.toString().trim();
  const v1 = await commit('v1');
  // v2: 10 appended lines, an in-place edit of the binary, 3 removed, 4 added, a new symlink
  for (let i = 0; i < 10; i++) await appendFile(join(tree, 'usr', 'share', 'doc', `file${i * 7}.txt`), `appended in v2 ${i}\n`);
  const big = await readFile(join(tree, 'usr', 'lib', 'mod', 'big.bin'));
  randomBytes(4096).copy(big, 300_000);
  await writeFile(join(tree, 'usr', 'lib', 'mod', 'big.bin'), big);
  for (const i of [3, 50, 99]) await rm(join(tree, 'usr', 'share', 'doc', `file${i}.txt`));
  await mkdir(join(tree, 'usr', 'share', 'new'), { recursive: true });
  for (let i = 0; i < 4; i++) await writeFile(join(tree, 'usr', 'share', 'new', `added${i}.conf`), `added file ${i}\n`.repeat(i * 30 + 1));
  await symlink('../share/new/added0.conf', join(tree, 'usr', 'lib', 'new-link'));
  const v2 = await commit('v2');
  return { repo, v1, v2, ref };
}
