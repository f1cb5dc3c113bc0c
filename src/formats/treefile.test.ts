import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  evaluateCondition,
  finalizeTreefile,
  mergeTreefileData,
  parseTreefileFragment,
  splitPackageEntries,
  substituteVariables,
  TreefileInvalid,
  validateFragment,
} from './treefile.js';

const YAML_TEXT = `# a comment
ref: berth/\${releasever}/\${basearch}/stable
releasever: 12
packages:
  - systemd systemd-sysv
  - linux-image-amd64
units: [ssh.service]
`;

function issuesOf(fn: () => unknown): { file: string; line: number; key: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    assert.ok(TreefileInvalid.is(err), `expected FORMAT_TREEFILE_INVALID, got ${String(err)}`);
    return [...(err.details as { issues: { file: string; line: number; key: string; message: string }[] }).issues];
  }
  assert.fail('expected an error');
}

test('parseTreefileFragment() reads YAML and locates keys by line', () => {
  const f = parseTreefileFragment(YAML_TEXT, 'base.yaml');
  assert.equal(f.data['ref'], 'berth/${releasever}/${basearch}/stable');
  assert.deepEqual(f.locate(['packages']), { file: 'base.yaml', line: 4 });
  assert.deepEqual(f.locate(['packages', 1]), { file: 'base.yaml', line: 6 });
  assert.deepEqual(f.locate(['units']), { file: 'base.yaml', line: 7 });
});

test('parseTreefileFragment() reads JSON with line numbers too', () => {
  const f = parseTreefileFragment('{\n  "ref": "a/b",\n  "packages": ["x"],\n  "bogus": 1\n}\n', 't.json');
  assert.deepEqual(f.locate(['bogus']), { file: 't.json', line: 4 });
  const issues = issuesOf(() => validateFragment(f));
  assert.deepEqual(issues, [{ file: 't.json', line: 4, key: 'bogus', message: 'Unknown key' }]);
});

test('validateFragment() names file, line and key for a wrong type', () => {
  const f = parseTreefileFragment('ref: x\npackages: systemd\nrecommends: "no"\n', 'my.yaml');
  const issues = issuesOf(() => validateFragment(f));
  assert.equal(issues.length, 2);
  assert.deepEqual(issues.map((i) => [i.file, i.line, i.key]), [['my.yaml', 2, 'packages'], ['my.yaml', 3, 'recommends']]);
});

test('validateFragment() error message reads file:line: key: message', () => {
  const f = parseTreefileFragment('ref: x\nadd-files:\n  - [a]\n', 'm.yaml');
  assert.throws(() => validateFragment(f), (err: unknown) => {
    assert.match((err as Error).message, /^Invalid treefile: m\.yaml:3: add-files\[0\]: /);
    return true;
  });
});

test('validateFragment() accepts every documented key', () => {
  const text = `
ref: a
packages: [a]
exclude-packages: [b]
repos: [fedora]
include: base.yaml
variables: {x: 1}
releasever: "12"
postprocess: ["#!/bin/sh\\ntrue"]
postprocess-script: post.sh
add-files: [[motd, /usr/etc/motd]]
remove-files: [usr/share/info]
units: [a.service]
default-target: multi-user.target
initramfs-args: [--no-hostonly]
add-commit-metadata: {a: 1}
automatic-version-prefix: "12"
check-passwd: {type: previous}
etc-group-members: [sudo]
boot-location: modules
documentation: false
recommends: false
packages-x86_64: [grub-pc]
apt-suite: bookworm
apt-sources: host
kernel-args: [console=ttyS0]
`;
  validateFragment(parseTreefileFragment(text, 'all.yaml'));
});

test('parseTreefileFragment() reports YAML syntax errors with the line', () => {
  const issues = issuesOf(() => parseTreefileFragment('ref: a\npackages: [a\n', 'bad.yaml'));
  assert.equal(issues[0]?.file, 'bad.yaml');
  assert.ok((issues[0]?.line ?? 0) >= 2);
});

test('parseTreefileFragment() rejects duplicate keys', () => {
  const issues = issuesOf(() => parseTreefileFragment('ref: a\nref: b\n', 'dup.yaml'));
  assert.equal(issues[0]?.line, 2);
});

test('mergeTreefileData() concatenates arrays (included first) and overrides scalars', () => {
  const merged = mergeTreefileData(
    { ref: 'base', packages: ['a'], postprocess: ['one'], variables: { x: 1, y: 2 }, include: 'z' },
    { ref: 'child', packages: ['b'], postprocess: ['two'], variables: { y: 3 }, include: 'q' },
  );
  assert.deepEqual(merged, { ref: 'child', packages: ['a', 'b'], postprocess: ['one', 'two'], variables: { x: 1, y: 3 }, include: 'z' });
});

test('substituteVariables() replaces known names and reports unknown ones', () => {
  assert.deepEqual(substituteVariables('a/${basearch}/${nope}', { basearch: 'x86_64' }), { value: 'a/x86_64/${nope}', unknown: ['nope'] });
});

test('evaluateCondition() handles ==, !=, numeric comparison, bare and negated booleans', () => {
  const vars = { basearch: 'x86_64', releasever: 12, docs: false };
  assert.equal(evaluateCondition('basearch == "x86_64"', vars), true);
  assert.equal(evaluateCondition('basearch != x86_64', vars), false);
  assert.equal(evaluateCondition('releasever >= 12', vars), true);
  assert.equal(evaluateCondition(['releasever < 12', 'docs'], vars), false);
  assert.equal(evaluateCondition('!docs', vars), true);
  assert.throws(() => evaluateCondition('missing', vars), /Unknown variable/);
});

test('splitPackageEntries() splits on whitespace but keeps version queries whole', () => {
  assert.deepEqual(splitPackageEntries(['a b', "  c ", 'pkg >= 1.2', 'd=1.0']), ['a', 'b', 'c', 'pkg >= 1.2', 'd=1.0']);
});

test('finalizeTreefile() substitutes variables, applies defaults and names missing keys', () => {
  const f = parseTreefileFragment(YAML_TEXT, 'base.yaml');
  const sources = new Map(Object.keys(f.data).map((k) => [k, f.locate([k])]));
  const t = finalizeTreefile(validateFragment(f), sources, { basearch: 'x86_64' });
  assert.equal(t.ref, 'berth/12/x86_64/stable');
  assert.deepEqual(t.packages, ['systemd', 'systemd-sysv', 'linux-image-amd64']);
  assert.equal(t.bootLocation, 'modules');
  assert.equal(t.automaticVersionSuffix, '.');
  assert.equal(t.recommends, true);
  const g = parseTreefileFragment('ref: a/${flavour}\n', 'v.yaml');
  const issues = issuesOf(() => finalizeTreefile(g.data, new Map([['ref', g.locate(['ref'])]]), {}));
  assert.deepEqual(issues.map((i) => `${i.line}:${i.key}:${i.message}`).sort(), [
    '1:packages:Missing required key',
    '1:ref:Unknown variable "flavour"',
  ]);
});

test('finalizeTreefile() adds packages-<basearch> to packages', () => {
  const t = finalizeTreefile({ ref: 'r', packages: ['a'], 'packages-x86_64': ['grub-pc'], 'packages-aarch64': ['u-boot'] }, new Map(), { basearch: 'x86_64' });
  assert.deepEqual(t.packages, ['a', 'grub-pc']);
});
