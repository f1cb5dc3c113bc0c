import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { exec } from '../../core/index.js';
import { needTools, tempDir } from '../../core/test-support.js';
import type { CommandContext } from '../context.js';
import { run } from './index.js';
import { parseOptions, type VerbSpec } from './goption.js';

async function berth(cwd: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  out.on('data', (c: Buffer) => chunks.out.push(c));
  err.on('data', (c: Buffer) => chunks.err.push(c));
  const ctx: CommandContext = { stdout: out, stderr: err, stdin: new PassThrough(), env: {}, cwd };
  const code = await run(argv, ctx);
  return { code, stdout: Buffer.concat(chunks.out).toString(), stderr: Buffer.concat(chunks.err).toString() };
}

async function real(cwd: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await exec(['ostree', ...argv], { cwd, check: false });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

const lastLine = (s: string): string => s.trim().split('\n').at(-1) ?? '';

test('parseOptions() accepts the GOption forms ostree accepts', () => {
  const spec: VerbSpec = { name: 'x', synopsis: '', summary: '', options: [
    { long: 'branch', short: 'b', arg: 'B', help: '' }, { long: 'user-mode', short: 'U', help: '' },
    { long: 'require-hardlinks', short: 'H', help: '' }, { long: 'tree', arg: 'T', help: '' },
  ] };
  for (const argv of [['-b', 'x'], ['-bx'], ['--branch=x'], ['--branch', 'x']]) {
    assert.equal(parseOptions(spec, argv).get('branch'), 'x', argv.join(' '));
  }
  const p = parseOptions(spec, ['pos1', '-UH', '--tree=dir=a', '--tree', 'ref=b', '--repo=/r', '--', '--not-an-option']);
  assert.ok(p.has('user-mode') && p.has('require-hardlinks'));
  assert.deepEqual(p.all('tree'), ['dir=a', 'ref=b']);
  assert.equal(p.get('repo'), '/r');
  assert.deepEqual(p.positionals, ['pos1', '--not-an-option']);
  assert.throws(() => parseOptions(spec, ['--nope']), /Unknown option --nope/);
  assert.throws(() => parseOptions(spec, ['-b']), /Missing argument/);
});

test('berth ostree and ostree agree on commit, refs, rev-parse, config and their errors', async (t) => {
  if (!(await needTools(t, 'ostree'))) return;
  const dir = await tempDir(t, 'berth-cli-');
  const tree = path.join(dir, 'tree');
  await fsp.mkdir(path.join(tree, 'etc'), { recursive: true });
  await fsp.writeFile(path.join(tree, 'etc/motd'), 'hi\n');
  const results: Record<'berth' | 'ostree', string[]> = { berth: [], ostree: [] };
  for (const [who, cmd] of [['berth', berth], ['ostree', real]] as const) {
    const repo = `repo-${who}`;
    const r = async (...argv: string[]) => cmd(dir, ...argv);
    const log = (x: { code: number; stdout: string; stderr: string }) => results[who].push(`${x.code} ${x.stdout.trim()} ${lastLine(x.stderr)}`);
    log(await r('init', `--repo=${repo}`, '--mode=archive'));
    // --repo before the verb, -bVALUE, repeated --add-metadata-string, a date --timestamp
    log(await r(`--repo=${repo}`, 'commit', '-b', 'os/main', '-s', 'one', '--add-metadata-string=a=1', '--add-metadata-string=b=2',
      '--add-metadata=n=uint32 7', '--timestamp=2024-01-02 03:04:05 +0000', `--tree=dir=${tree}`));
    log(await r('commit', '--repo', repo, '--branch=os/other', '--no-bindings', '--timestamp=@5', 'tree'));
    log(await r('refs', `--repo=${repo}`, '--create=os/copy', 'os/main'));
    log(await r('refs', `--repo=${repo}`, '--create=os/copy', 'os/main'));
    log(await r('refs', `--repo=${repo}`, '--create=../x', 'os/main'));
    const refs = await r('refs', `--repo=${repo}`);
    results[who].push(refs.stdout.trim().split('\n').sort().join(','));
    const sub = await r('refs', `--repo=${repo}`, 'os'); // ostree prints in GHashTable order
    results[who].push(`${sub.code} ${sub.stdout.trim().split('\n').sort().join(',')}`);
    log(await r('refs', `--repo=${repo}`, '--delete', 'os/copy'));
    log(await r('rev-parse', `--repo=${repo}`, 'os/main'));
    log(await r('rev-parse', `--repo=${repo}`, 'nope'));
    log(await r('rev-parse', `--repo=${repo}`));
    log(await r('config', `--repo=${repo}`, 'get', 'core.mode'));
    log(await r('config', `--repo=${repo}`, 'set', 'core.foo', 'bar baz'));
    log(await r('config', `--repo=${repo}`, 'get', 'core.foo'));
    log(await r('config', `--repo=${repo}`, 'get', 'core.nope'));
    log(await r('config', `--repo=${repo}`, 'get', 'nodot'));
    log(await r('commit', `--repo=${repo}`, `--tree=dir=${tree}`));
    log(await r('commit', `--repo=${repo}`, '--bogus'));
    log(await r('checkout', `--repo=${repo}`));
    log(await r('checkout', `--repo=${repo}`, '-U', 'os/main', `co-${who}`));
    log(await r('checkout', `--repo=${repo}`, '-U', 'os/main', `co-${who}`));
    log(await r('init', `--repo=${repo}-bad`, '--mode=bad'));
    log(await r('--repo=/nonexistent-berth', 'refs'));
  }
  assert.deepEqual(results.berth, results.ostree);
  assert.equal(await fsp.readFile(path.join(dir, 'co-berth/etc/motd'), 'utf8'), 'hi\n');
});

test('berth ostree --version, --help and an unknown verb', async () => {
  const v = await berth('/', '--version');
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^libostree:\n Version: '2022\.7'/);
  const h = await berth('/', '--help');
  assert.match(h.stdout, /Builtin Commands:[\s\S]*commit/);
  const u = await berth('/', 'frobnicate');
  assert.equal(u.code, 1);
  assert.equal(lastLine(u.stderr), "error: Unknown command 'frobnicate'");
});
