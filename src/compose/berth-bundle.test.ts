import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exec } from '../core/index.js';
import { packBerth, productionDependencies } from './berth-bundle.js';
import { tempDir } from '../core/test-support.js';

async function pkg(dir: string, deps: Record<string, string> = {}, optional: Record<string, string> = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify({ dependencies: deps, optionalDependencies: optional }));
}

test('productionDependencies() resolves nested, hoisted and scoped packages as Node does', async (t) => {
  const co = await tempDir(t);
  await writeFile(join(co, 'package.json'), JSON.stringify({ dependencies: { a: '1', '@s/c': '1' }, devDependencies: { dev: '1' } }));
  await pkg(join(co, 'node_modules/a'), { b: '2', d: '1' });
  await pkg(join(co, 'node_modules/a/node_modules/b'));
  await pkg(join(co, 'node_modules/b'));
  await pkg(join(co, 'node_modules/d'));
  await pkg(join(co, 'node_modules/@s/c'), { d: '1' }, { gone: '1' });
  await pkg(join(co, 'node_modules/dev'));
  assert.deepEqual(await productionDependencies(co), ['node_modules/@s/c', 'node_modules/a', 'node_modules/a/node_modules/b', 'node_modules/d']);
});

test('packBerth() writes the same bytes for the same checkout, without tests', async (t) => {
  const co = await tempDir(t);
  await writeFile(join(co, 'package.json'), JSON.stringify({ dependencies: { a: '1' } }));
  await pkg(join(co, 'node_modules/a'));
  await mkdir(join(co, 'bin'));
  await writeFile(join(co, 'bin/berth'), '#!/usr/bin/env node\n', { mode: 0o755 });
  await mkdir(join(co, 'dist/cli'), { recursive: true });
  await writeFile(join(co, 'dist/cli/bin.js'), '');
  await writeFile(join(co, 'dist/cli/x.test.js'), '');
  await packBerth(co, join(co, 'one.tar'));
  await packBerth(co, join(co, 'two.tar'));
  const list = (await exec(['tar', '-tvf', join(co, 'one.tar')])).stdout.toString();
  assert.match(list, /usr\/bin\/berth -> \.\.\/lib\/berth\/bin\/berth/);
  assert.match(list, /usr\/lib\/berth\/node_modules\/a\/package\.json/);
  assert.match(list, /usr\/lib\/berth\/dist\/cli\/bin\.js/);
  assert.doesNotMatch(list, /x\.test\.js/);
  assert.match(list, /usr\/lib\/systemd\/system\/berth-provision\.service\n/);
  assert.match(list, /usr\/lib\/systemd\/system\/multi-user\.target\.wants\/berth-provision\.service -> \.\.\/berth-provision\.service/);
  assert.equal((await exec(['cmp', join(co, 'one.tar'), join(co, 'two.tar')], { check: false })).exitCode, 0);
});
