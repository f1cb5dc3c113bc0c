import { test } from 'node:test';
import assert from 'node:assert/strict';
import { additions, applySimulation, debFileName, installedPackages, samePackages, variantPatterns } from './tree-delta.js';

const STATUS = `Package: libc6
Status: install ok installed
Architecture: amd64
Version: 2.41-12

Package: dpkg
Status: install ok installed
Architecture: amd64
Version: 1.22.21

Package: old-removed
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0
`;

test('installedPackages() reads installed packages and refuses half-installed ones', () => {
  const set = installedPackages(STATUS)!;
  assert.deepEqual(Object.fromEntries(set), { libc6: '2.41-12 amd64', dpkg: '1.22.21 amd64' });
  assert.equal(installedPackages(`${STATUS}\nPackage: x\nStatus: install ok unpacked\nVersion: 1\n`), undefined);
  assert.equal(installedPackages(`${STATUS}\nPackage: y\nStatus: purge ok not-installed\nVersion: 1\n`)!.size, 2);
});

test('applySimulation() adds apt --simulate Inst lines (new and upgraded) and refuses removals', () => {
  const base = new Map([['libc6', '2.41-12 amd64']]);
  const out = [
    'NOTE: This is only a simulation!',
    'Inst hello (2.10-5 Debian:13.8/stable [amd64])',
    'Inst libc6 [2.41-12] (2.41-12+deb13u5 Debian-Security:13/stable-security [amd64]) []',
    'Inst tzdata (2025b-4+deb13u1 Debian:13.8/stable [all])',
    'Conf hello (2.10-5 Debian:13.8/stable [amd64])',
  ].join('\n');
  assert.deepEqual(Object.fromEntries(applySimulation(base, out)!), {
    libc6: '2.41-12+deb13u5 amd64',
    hello: '2.10-5 amd64',
    tzdata: '2025b-4+deb13u1 all',
  });
  assert.equal(applySimulation(base, 'Remv libc6 [2.41-12]\n'), undefined);
});

test('additions() is the added packages only when nothing was removed or changed version', () => {
  const cur = new Map([['a', '1 amd64'], ['b', '2 all']]);
  assert.deepEqual([...additions(cur, new Map([...cur, ['c', '3 amd64']]))!], [['c', '3 amd64']]);
  assert.deepEqual([...additions(cur, cur)!], []);
  assert.equal(additions(cur, new Map([['a', '1 amd64']])), undefined);
  assert.equal(additions(cur, new Map([['a', '1.1 amd64'], ['b', '2 all']])), undefined);
  assert.equal(samePackages(cur, new Map(cur)), true);
  assert.equal(samePackages(cur, new Map([['a', '1 amd64'], ['b', '2 amd64']])), false);
});

test('debFileName() spells apt archive names; variantPatterns() follows mmdebstrap', () => {
  assert.equal(debFileName('attr', '1:2.5.2-3 amd64'), 'attr_1%3a2.5.2-3_amd64.deb');
  assert.deepEqual(variantPatterns('essential', 'trixie', 'amd64'), []);
  assert.deepEqual(variantPatterns('minbase', 'trixie', 'amd64'), ['?narrow(?or(?archive(^trixie$),?codename(^trixie$)),?architecture(amd64),?and(?priority(required),?not(?essential)))']);
  assert.equal(variantPatterns('custom', 'trixie', 'amd64'), undefined);
});
