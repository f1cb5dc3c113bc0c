import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { tempDir } from '../core/test-support.js';
import { commitTree } from './commit.js';
import { fsckRepo, type FsckEvent } from './fsck.js';
import { RepoReader } from './reader.js';
import { Repo } from './repo.js';

/** Everything fsck reported except progress, and how it ended. */
async function runFsck(repo: string, workers: number, options: { all?: boolean; delete?: boolean } = {}) {
  const events: FsckEvent[] = [];
  let error: unknown;
  try {
    await fsckRepo(await RepoReader.open(repo), { ...options, workers }, (e) => {
      if (e.type !== 'progress') events.push(e);
    });
  } catch (err) {
    error = err;
  }
  const code = (error as { code?: string } | undefined)?.code;
  return { events, code, message: (error as Error | undefined)?.message };
}

// The worker-thread path (used for repositories of 2000+ objects) must report exactly what the
// main-thread path reports, on sound and on damaged repositories.
for (const mode of ['bare-user', 'archive'] as const) {
  test(`fsckRepo() with workers reports what it reports without them (${mode})`, async (t) => {
    const dir = await tempDir(t, 'berth-fsck-workers-');
    const tree = path.join(dir, 'tree');
    for (let i = 0; i < 40; i++) {
      await fsp.mkdir(path.join(tree, `d${i % 5}`), { recursive: true });
      await fsp.writeFile(path.join(tree, `d${i % 5}`, `f${i}`), `file ${i}\n`.repeat(i * 50));
    }
    await fsp.symlink('d0/f0', path.join(tree, 'link'));
    const repoPath = path.join(dir, 'repo');
    const repo = await Repo.init(repoPath, { mode });
    await commitTree(repo, { trees: [{ kind: 'dir', path: tree }], branch: 'main', timestamp: 0 });

    const sound = await runFsck(repoPath, 2);
    assert.equal(sound.code, undefined, sound.message);
    assert.deepEqual(sound, await runFsck(repoPath, 0));

    const commit = await repo.loadCommit((await repo.resolveRev('main'))!);
    const d1 = (await repo.loadDirTree(commit.rootTree)).dirs.find((d) => d.name === 'd1')!;
    const victim = (await repo.loadDirTree(d1.treeChecksum)).files.at(-1)!;
    const object = repo.objectPath(victim.checksum, 'file');
    const bytes = await fsp.readFile(object);
    bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 0x55;
    await fsp.writeFile(object, bytes); // same inode: bare-user's xattr stays
    for (const options of [{}, { all: true }]) {
      const viaWorkers = await runFsck(repoPath, 2, options);
      assert.equal(viaWorkers.code, 'REPO_FSCK_CORRUPTION');
      assert.deepEqual(viaWorkers, await runFsck(repoPath, 0, options));
    }
    await fsp.rm(object);
    const missing = await runFsck(repoPath, 2, { all: true });
    assert.ok(missing.events.some((e) => e.type === 'missing' && e.checksum === victim.checksum));
    await fsp.rm(path.join(repoPath, 'state'), { recursive: true, force: true }); // undo the partial marker
    await fsp.mkdir(path.join(repoPath, 'state'));
    assert.deepEqual(await runFsck(repoPath, 0, { all: true }), missing);
  });
}
