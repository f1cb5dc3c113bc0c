import { mkdir, rename, rm, symlink, writeFile, chmod } from 'node:fs/promises';
import { join, relative } from 'node:path';
import {
  checkout, commitDiffNode, commitHistory, commitTree, contentChecksumOf, diffTrees, fsckRepo, Repo, RepoPath, RepoReader,
} from '../ostree/index.js';
import type { CommandContext } from './context.js';
import { renderCommitHuman } from './ostree/render-commit.js';

/**
 * `berth tour` (what `npm start` runs for now): a repository under ./.berth, two commits of a
 * small sample tree, their log, the diff between them, a checkout, an fsck, and the commands
 * that do each step by hand. In-process and idempotent: commits use fixed timestamps and
 * explicit parents, so a second run finds every object and ref already in place and ends with
 * the same checksums.
 */
const REF = 'tour/main';
const V1_TIME = Date.UTC(2026, 0, 1) / 1000;
const V2_TIME = Date.UTC(2026, 0, 2) / 1000;

async function writeSample(dir: string, version: 1 | 2): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'usr/bin'), { recursive: true });
  await mkdir(join(dir, 'usr/etc'), { recursive: true });
  await mkdir(join(dir, 'usr/share/doc/berth'), { recursive: true });
  await writeFile(join(dir, 'usr/etc/os-release'), `NAME="berth sample"\nVERSION_ID=${version}\n`);
  await writeFile(join(dir, 'usr/bin/hello'), `#!/bin/sh\necho "hello from sample v${version}"\n`);
  await chmod(join(dir, 'usr/bin/hello'), 0o755);
  await writeFile(join(dir, 'usr/share/doc/berth/README'), 'A tiny tree committed by `berth tour`.\n');
  await symlink('../share/doc/berth/README', join(dir, 'usr/bin/README'));
  if (version === 2) {
    await writeFile(join(dir, 'usr/share/doc/berth/NEWS'), 'v2: added NEWS, changed hello, dropped the README link.\n');
    await rm(join(dir, 'usr/bin/README'));
  }
}

export async function run(_argv: readonly string[], ctx: CommandContext): Promise<number> {
  const started = performance.now();
  const base = join(ctx.cwd, '.berth');
  const repoPath = join(base, 'repo');
  const say = (text: string): void => {
    ctx.stdout.write(text);
  };
  const rel = (p: string): string => relative(ctx.cwd, p) || '.';

  say(`berth tour: an OSTree-compatible repository in ${rel(repoPath)}\n\n`);
  const repo = await Repo.init(repoPath, { mode: 'bare-user' });
  say(`1. Repository (mode bare-user; the real \`ostree\` can read it too)\n   $ berth ostree init --repo=${rel(repoPath)} --mode=bare-user\n\n`);

  const v1Dir = join(base, 'sample-v1');
  const v2Dir = join(base, 'sample-v2');
  await writeSample(v1Dir, 1);
  await writeSample(v2Dir, 2);
  const v1 = await commitTree(repo, {
    trees: [{ kind: 'dir', path: v1Dir }], subject: 'Sample tree v1', body: 'Committed by berth tour.',
    timestamp: V1_TIME, parent: 'none', orphan: true, noXattrs: true,
  });
  const v2 = await commitTree(repo, {
    trees: [{ kind: 'dir', path: v2Dir }], branch: REF, subject: 'Sample tree v2', timestamp: V2_TIME, parent: v1.checksum, noXattrs: true,
  });
  const written = v1.contentWritten + v1.metadataWritten + v2.contentWritten + v2.metadataWritten;
  say(`2. Two commits of a sample tree (${written === 0 ? 'already there: nothing new written' : `${written} objects written`})\n`);
  say(`   v1 ${v1.checksum}\n   v2 ${v2.checksum}  <- ${REF}\n`);
  say(`   $ berth ostree commit --repo=${rel(repoPath)} -b ${REF} -s 'Sample tree v2' --tree=dir=${rel(v2Dir)}\n\n`);

  const reader = await RepoReader.open(repoPath);
  say(`3. History of ${REF}\n   $ berth ostree log --repo=${rel(repoPath)} ${REF}\n`);
  for await (const entry of commitHistory(reader, v2.checksum, 10)) {
    if (entry.commit === undefined) break;
    say(renderCommitHuman(entry.checksum, entry.commit, contentChecksumOf(entry.commit)).replace(/^/gm, '   ').replace(/ +$/gm, ''));
  }

  const c1 = await reader.loadCommit(v1.checksum);
  const c2 = await reader.loadCommit(v2.checksum);
  const d = await diffTrees(
    commitDiffNode(reader, RepoPath.root(c1.rootTree, c1.rootMeta), c1.rootTree, c1.rootMeta),
    commitDiffNode(reader, RepoPath.root(c2.rootTree, c2.rootMeta), c2.rootTree, c2.rootMeta),
  );
  say(`4. What changed from v1 to v2\n   $ berth ostree diff --repo=${rel(repoPath)} ${REF}^ ${REF}\n`);
  for (const m of d.modified) say(`   M    ${m.display}\n`);
  for (const x of d.removed) say(`   D    ${x.display}\n`);
  for (const a of d.added) say(`   A    ${a.display}\n`);
  say('\n');

  const dest = join(base, 'checkout');
  const staging = join(base, `checkout.tmp-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  const co = await checkout(repo, REF, staging, { userMode: true });
  await rm(dest, { recursive: true, force: true });
  await rename(staging, dest);
  say(`5. Checkout of ${REF} into ${rel(dest)} (${co.files} files, ${co.hardlinked} hardlinked to the repository)\n`);
  say(`   $ berth ostree checkout --repo=${rel(repoPath)} -U ${REF} ${rel(dest)}\n   $ ${rel(dest)}/usr/bin/hello\n\n`);

  const fsck = await fsckRepo(reader, {}, () => undefined);
  say(`6. Integrity: fsck verified ${fsck.objects} objects of ${fsck.commits} commits, no errors\n   $ berth ostree fsck --repo=${rel(repoPath)}\n\n`);

  say(`Done in ${Math.round(performance.now() - started)} ms.${written === 0 ? '' : ' Run it again: same checksums, nothing new written.'}\n`);
  say(`Everything above also works with the real ostree, e.g. \`ostree log --repo=${rel(repoPath)} ${REF}\`.\n`);
  return 0;
}
