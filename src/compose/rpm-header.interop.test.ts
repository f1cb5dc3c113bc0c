import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { exec } from '../core/index.js';
import { decodeRpmPackage, rpmNevra, RpmInvalid } from '../formats/index.js';
import { basePackage, buildRpmRepo, listRpms, SHELL_PACKAGE, toolPackage } from './rpm-fixtures.js';
import { needTools, tempDir } from '../core/test-support.js';

test('decodeRpmPackage() reads what rpmbuild wrote, as rpm -qp reports it', async (t) => {
  if (!(await needTools(t, 'rpmbuild', 'createrepo_c', 'rpm', 'busybox'))) return;
  const dir = await tempDir(t);
  const repo = await buildRpmRepo(dir, [SHELL_PACKAGE, basePackage('1.0'), toolPackage('1.0')]);
  const files = await listRpms(repo);
  assert.equal(files.length, 3);
  for (const file of files) {
    const bytes = await readFile(file);
    const pkg = decodeRpmPackage(bytes);
    const h = pkg.header;
    const q = await exec(['rpm', '-qp', '--qf', '%{NAME}|%{EPOCHNUM}|%{VERSION}|%{RELEASE}|%{ARCH}|%{SUMMARY}|%{PAYLOADCOMPRESSOR}\n', file]);
    assert.equal([h.name, h.epoch ?? 0, h.version, h.release, h.arch, h.summary, h.payloadCompressor].join('|'), q.stdout.toString().trim());
    assert.equal(rpmNevra(h), (await exec(['rpm', '-qp', file])).stdout.toString().trim());
    const dump = (await exec(['rpm', '-qp', '--dump', file])).stdout.toString().trim().split('\n').filter(Boolean);
    // path size mtime digest mode owner group isconfig isdoc rdev symlink
    const ours = h.files.map((f) => [f.path, f.size, f.digest || '0'.repeat(64), `0${(f.mode & 0xffff).toString(8)}`, f.user, f.group, (f.flags & 1) ? '1' : '0', f.linkTo || 'X'].join(' '));
    const theirs = dump.map((l) => { const p = l.split(' '); return [p[0], Number(p[1]), p[3], p[4], p[5], p[6], p[7], p[10]].join(' '); });
    assert.deepEqual(ours, theirs, file);
    const reqs = (await exec(['rpm', '-qpR', file])).stdout.toString().trim().split('\n').map((s) => s.trim());
    assert.deepEqual(h.requires.map((r) => (r.version ? `${r.name} ${flagsText(r.flags)} ${r.version}` : r.name)), reqs);
    // the signature header's SHA256 covers the main header
    const sha = createHash('sha256').update(bytes.subarray(pkg.main.start, pkg.main.end)).digest('hex');
    assert.equal(sha, pkg.signature.tags.get(273));
  }
});

function flagsText(flags: number): string {
  return `${flags & 2 ? '<' : ''}${flags & 4 ? '>' : ''}${flags & 8 ? '=' : ''}`;
}

test('decodeRpmPackage() refuses truncated and foreign files with a typed error', async (t) => {
  if (!(await needTools(t, 'rpmbuild', 'createrepo_c', 'busybox'))) return;
  const dir = await tempDir(t);
  const repo = await buildRpmRepo(dir, [basePackage('1.0')]);
  const bytes = await readFile((await listRpms(repo))[0]!);
  for (const cut of [10, 100, 200, 1000]) {
    assert.throws(() => decodeRpmPackage(bytes.subarray(0, cut)), (err: unknown) => RpmInvalid.is(err));
  }
  assert.throws(() => decodeRpmPackage(new Uint8Array(200)), /bad lead magic/);
});
