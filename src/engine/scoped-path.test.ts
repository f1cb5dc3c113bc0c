import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../core/test-support.js';
import { resolveInRoot } from './scoped-path.js';

test('resolveInRoot() follows a container\'s symlinks inside its root, never onto the host', async (t) => {
  const dir = await tempDir(t);
  const root = join(dir, 'rootfs');
  await mkdir(join(root, 'etc'), { recursive: true });
  await mkdir(join(root, 'srv/app'), { recursive: true });
  await writeFile(join(root, 'etc/passwd'), 'container\n');
  await symlink('/', join(root, 'data')); // absolute: the container's root
  await symlink('../../etc', join(root, 'srv/app/conf')); // relative
  await symlink('../../../../../../etc', join(root, 'up')); // climbs past the root: stops at it
  await symlink('loop2', join(root, 'loop1'));
  await symlink('loop1', join(root, 'loop2'));

  assert.equal(await resolveInRoot(root, '/data/etc/passwd', false), join(root, 'etc/passwd'));
  assert.equal(await resolveInRoot(root, '/srv/app/conf/passwd', false), join(root, 'etc/passwd'));
  assert.equal(await resolveInRoot(root, '/up/passwd', false), join(root, 'etc/passwd'));
  assert.equal(await resolveInRoot(root, '/data/../../etc', true), join(root, 'etc'));
  // The last component: kept as a link for a copy out, followed for a destination directory.
  assert.equal(await resolveInRoot(root, '/data', false), join(root, 'data'));
  assert.equal(await resolveInRoot(root, '/data', true), root);
  // Missing components stay (a destination to be created); loops are an error.
  assert.equal(await resolveInRoot(root, '/data/new/file', true), join(root, 'new/file'));
  await assert.rejects(resolveInRoot(root, '/loop1/x', true), (e: Error & { code?: string }) => e.code === 'ENGINE_INVALID_OPTION');
});
