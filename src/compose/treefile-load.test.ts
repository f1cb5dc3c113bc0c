import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../core/test-support.js';
import { TreefileInvalid } from '../formats/index.js';
import { loadTreefile } from './treefile-load.js';

test('loadTreefile() flattens includes: arrays concatenate, scalars of the including file win', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'common'));
  await writeFile(join(dir, 'common', 'base.yaml'), 'ref: base/ref\npackages: [systemd]\npostprocess: [one]\nadd-files: [[motd, /usr/etc/motd]]\nrecommends: true\n');
  await writeFile(join(dir, 'host.yaml'),
    'include: common/base.yaml\nref: berth/${releasever}/${basearch}/host\nreleasever: 12\npackages: [linux-image-amd64 nodejs]\npostprocess: [two]\nrecommends: false\nconditional-include:\n  - if: basearch == "x86_64"\n    include: common/x86.yaml\n');
  await writeFile(join(dir, 'common', 'x86.yaml'), 'packages: [grub-pc-bin]\n');
  const { treefile, files } = await loadTreefile(join(dir, 'host.yaml'), { basearch: 'x86_64' });
  assert.equal(treefile.ref, 'berth/12/x86_64/host');
  assert.deepEqual(treefile.packages, ['systemd', 'grub-pc-bin', 'linux-image-amd64', 'nodejs']);
  assert.deepEqual(treefile.postprocess, ['one', 'two']);
  assert.equal(treefile.recommends, false);
  assert.deepEqual(treefile.addFiles, [{ src: join(dir, 'common', 'motd'), dest: '/usr/etc/motd' }]);
  assert.deepEqual(files, [join(dir, 'host.yaml'), join(dir, 'common', 'base.yaml'), join(dir, 'common', 'x86.yaml')]);
});

test('loadTreefile() names the included file and line of a bad key', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'base.yaml'), 'packages: [a]\n\nunits: nope\n');
  await writeFile(join(dir, 'top.json'), '{\n  "include": "base.yaml",\n  "ref": "r"\n}\n');
  await assert.rejects(loadTreefile(join(dir, 'top.json')), (err: unknown) => {
    assert.ok(TreefileInvalid.is(err));
    assert.match((err as Error).message, new RegExp(`${join(dir, 'base.yaml').replace(/[.]/g, '\\.')}:3: units: `));
    return true;
  });
});

test('loadTreefile() reports a missing include at the include line', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'top.yaml'), 'ref: r\npackages: [a]\ninclude: gone.yaml\n');
  await assert.rejects(loadTreefile(join(dir, 'top.yaml')), /top\.yaml:3: include: Cannot read/);
});

test('loadTreefile() refuses include cycles', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'a.yaml'), 'include: b.yaml\nref: r\npackages: [a]\n');
  await writeFile(join(dir, 'b.yaml'), 'include: a.yaml\n');
  await assert.rejects(loadTreefile(join(dir, 'a.yaml')), /Include cycle/);
});

test('loadTreefile() requires ref and packages in the flattened result', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'a.yaml'), 'units: [x.service]\n');
  await assert.rejects(loadTreefile(join(dir, 'a.yaml')), (err: unknown) => {
    assert.match((err as Error).message, /ref: Missing required key/);
    assert.match((err as Error).message, /packages: Missing required key/);
    return true;
  });
});
