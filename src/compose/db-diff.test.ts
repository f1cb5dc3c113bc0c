import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffPackages, diffToJson, evr, renderDiffBlock, renderDiffLines } from './db-diff.js';
import type { PackageRecord } from './gvariant-text.js';

const p = (name: string, version: string, release = '1', epoch = 0, arch = 'amd64'): PackageRecord => ({ name, epoch, version, release, arch });

const FROM = [p('bash', '5.2.15', '2+b7'), p('less', '590', '2'), p('nodejs', '18.20.4+dfsg', '1~deb12u3'), p('old', '1.0'), p('tzdata', '2024a', '0+deb12u1', 0, 'all')];
const TO = [p('bash', '5.2.37', '2+b5'), p('less', '590', '2'), p('nodejs', '20.19.2+dfsg', '1+deb13u3'), p('tzdata', '2024a', '0~deb12u1', 0, 'all'), p('zstd', '1.5.7', '1')];

test('diffPackages() sorts changes into upgraded, downgraded, removed and added', () => {
  const d = diffPackages(FROM, TO);
  assert.deepEqual(d.upgraded.map((c) => c.name), ['bash', 'nodejs']);
  assert.deepEqual(d.downgraded.map((c) => `${c.name} ${c.from} ${c.to}`), ['tzdata 2024a-0+deb12u1 2024a-0~deb12u1']);
  assert.deepEqual(d.removed.map((x) => x.name), ['old']);
  assert.deepEqual(d.added.map((x) => x.name), ['zstd']);
});

test('evr() writes epoch and revision only when present', () => {
  assert.equal(evr(p('a', '1.0', '', 0)), '1.0');
  assert.equal(evr(p('a', '1.0', '3', 2)), '2:1.0-3');
});

test('renderDiffBlock() and renderDiffLines() use rpm-ostree db diff formats', () => {
  const d = diffPackages(FROM, TO);
  assert.equal(renderDiffBlock(d), [
    'Upgraded:',
    '  bash 5.2.15-2+b7 -> 5.2.37-2+b5',
    '  nodejs 18.20.4+dfsg-1~deb12u3 -> 20.19.2+dfsg-1+deb13u3',
    'Downgraded:',
    '  tzdata 2024a-0+deb12u1 -> 2024a-0~deb12u1',
    'Removed:',
    '  old-1.0-1.amd64',
    'Added:',
    '  zstd-1.5.7-1.amd64',
    '',
  ].join('\n'));
  assert.equal(renderDiffLines(diffPackages([p('a', '1')], [p('a', '2'), p('b', '1')])), '!a-1-1.amd64\n=a-2-1.amd64\n+b-1-1.amd64\n');
  assert.equal(renderDiffBlock(diffPackages(FROM, FROM)), 'No package changes\n');
  assert.deepEqual(Object.keys(diffToJson(diffPackages(FROM, TO))), ['upgraded', 'downgraded', 'removed', 'added']);
});
