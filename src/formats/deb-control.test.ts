import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { TestContext } from 'node:test';
import { exec, which } from '../core/index.js';
import {
  compareDebVersions,
  DebControlInvalid,
  formatDeb822,
  parseDeb822,
  parseDpkgStatus,
  sourcesListToDeb822,
} from './deb-control.js';

async function needTools(t: TestContext, tool: string): Promise<boolean> {
  if ((await which(tool)) !== undefined) return true;
  if (process.env.BERTH_REQUIRE_TOOLS === '1') throw new Error(`Required tool missing: ${tool}`);
  t.skip(`needs ${tool} on PATH`);
  return false;
}

const CONTROL = `Package: berth-demo
Version: 1:2.0-1
Architecture: amd64
Description: short
 first line
 .
 third line

# a comment
Types: deb
URIs: http://example.invalid/debian
`;

test('parseDeb822() reads paragraphs, continuation lines and " ." blank lines', () => {
  const [a, b] = parseDeb822(CONTROL);
  assert.equal(a?.get('package'), 'berth-demo');
  assert.equal(a?.get('Description'), 'short\nfirst line\n\nthird line');
  assert.equal(b?.get('URIs'), 'http://example.invalid/debian');
});

test('formatDeb822() round-trips what parseDeb822() read', () => {
  const paragraphs = parseDeb822(CONTROL);
  assert.deepEqual(parseDeb822(formatDeb822(paragraphs)).map((p) => p.entries()), paragraphs.map((p) => p.entries()));
});

test('parseDeb822() names the line of a malformed field', () => {
  assert.throws(() => parseDeb822('Package: a\nnot a field\n', { file: 'x' }), (err: unknown) => {
    assert.ok(DebControlInvalid.is(err));
    assert.match((err as Error).message, /^x:2: /);
    return true;
  });
});

test('sourcesListToDeb822() converts one-line entries with options', () => {
  const [p, ...rest] = sourcesListToDeb822('deb [arch=amd64 signed-by=/k.gpg] http://m.invalid/debian bookworm main contrib\ndeb-src http://m.invalid/debian bookworm main\n');
  assert.equal(rest.length, 0);
  assert.deepEqual(p?.entries(), [['Types', 'deb'], ['URIs', 'http://m.invalid/debian'], ['Suites', 'bookworm'], ['Components', 'main contrib'], ['Architectures', 'amd64'], ['Signed-By', '/k.gpg']]);
});

test('parseDpkgStatus() agrees with dpkg-query on this machine', async (t) => {
  if (!(await needTools(t, 'dpkg-query'))) return;
  const ours = parseDpkgStatus(await readFile('/var/lib/dpkg/status', 'utf8')).map((p) => `${p.name} ${p.version} ${p.architecture}`);
  const r = await exec(['dpkg-query', '-W', '-f=${db:Status-Status} ${Package} ${Version} ${Architecture}\n']);
  const theirs = r.stdout.toString().split('\n').filter((l) => l.startsWith('installed ')).map((l) => l.slice('installed '.length));
  assert.ok(ours.length > 50);
  assert.deepEqual([...ours].sort(), [...theirs].sort());
});

const PAIRS: readonly [string, string][] = [
  ['1.0', '1.0'], ['1.0', '1.0-1'], ['1.0~rc1', '1.0'], ['1.0~rc1', '1.0~rc1~'], ['1:0.1', '2.0'], ['2.0-1', '2.0-1+deb12u1'],
  ['18.20.4+dfsg-1~deb12u2', '18.20.4+dfsg-1~deb12u3'], ['1.2.10', '1.2.9'], ['1.0a', '1.0+'], ['1.0.', '1.0a'], ['0010', '9'],
  ['6.1.0-56', '6.1.0-9'], ['1.0-1', '1.0-1.1'], ['a', 'A'], ['1~~', '1~'], ['2:1', '1:9'], ['1.0+b1', '1.0'],
];

test('compareDebVersions() orders like dpkg --compare-versions', async (t) => {
  if (!(await needTools(t, 'dpkg'))) return;
  for (const [a, b] of PAIRS) {
    const ours = Math.sign(compareDebVersions(a, b));
    const lt = (await exec(['dpkg', '--compare-versions', a, 'lt', b], { check: false })).exitCode === 0;
    const eq = (await exec(['dpkg', '--compare-versions', a, 'eq', b], { check: false })).exitCode === 0;
    assert.equal(ours, lt ? -1 : eq ? 0 : 1, `${a} vs ${b}`);
    assert.equal(Math.sign(compareDebVersions(b, a)), ours === 0 ? 0 : -ours, `${b} vs ${a}`);
  }
});
