// list() serves record.json/state.json from a cache in the long-lived engine; what other processes write
// (a CLI creating or removing a container, a monitor recording an exit) must show on the next list.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { exec } from '../core/index.js';
import { needRoot, testEngine, TEST_IMAGE } from './test-support.js';

/** Runs an ESM snippet in another node process; `dir` is this directory of dist (engine modules). */
async function inOtherProcess(code: string): Promise<void> {
  const dir = new URL('.', import.meta.url).pathname;
  await exec([process.execPath, '--input-type=module', '-e', `const dir = ${JSON.stringify(dir)};\n${code}`]);
}

/** Writes state.json the way a monitor does (temp file, rename), from another process. */
async function writeStateElsewhere(root: string, id: string, state: object): Promise<void> {
  const path = join(root, 'containers', id, 'state.json');
  await inOtherProcess(`
    import { readFileSync, writeFileSync, renameSync } from 'node:fs';
    const path = ${JSON.stringify(path)};
    const s = { ...JSON.parse(readFileSync(path, 'utf8')), ...${JSON.stringify(state)} };
    writeFileSync(path + '.tmp', JSON.stringify(s));
    renameSync(path + '.tmp', path);
  `);
}

test('list sees containers created, exited and removed by other processes', async (t) => {
  if (!needRoot(t)) return;
  const { engine, root, bridge, subnet } = await testEngine(t);
  const { id: mine } = await engine.create({ image: TEST_IMAGE, name: 'mine', cmd: ['true'], host: { networkMode: 'none' } });
  await engine.list({ all: true }); // warm the cache

  await inOtherProcess(`
    const { Engine } = await import(dir + 'engine.js');
    const { LocalImages } = await import(dir + 'images.js');
    const root = ${JSON.stringify(root)};
    const engine = new Engine(new LocalImages(root), { root, runRoot: ${JSON.stringify(join(dirname(root), 'run'))}, bridge: ${JSON.stringify(bridge)}, subnet: ${JSON.stringify(subnet)} });
    await engine.create({ image: ${JSON.stringify(TEST_IMAGE)}, name: 'other', cmd: ['true'], host: { networkMode: 'none' } });
  `);
  let list = await engine.list({ all: true });
  assert.deepEqual(list.map((c) => c.names[0]).sort(), ['mine', 'other']);
  const other = list.find((c) => c.names[0] === 'other')!.id;

  // Let the files age past the cache's racy window so the next list caches them, then change them.
  await sleep(2_200);
  list = await engine.list({ all: true });
  assert.equal(list.find((c) => c.id === mine)?.state, 'created');

  await writeStateElsewhere(root, mine, { status: 'exited', exitCode: 3, startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:01Z' });
  list = await engine.list({ all: true });
  assert.equal(list.find((c) => c.id === mine)?.state, 'exited');
  assert.match(list.find((c) => c.id === mine)?.status ?? '', /^Exited \(3\) /);

  // Same size, same second: a rewrite the cache must not mistake for the previous file.
  await writeStateElsewhere(root, mine, { exitCode: 4 });
  list = await engine.list({ all: true });
  assert.match(list.find((c) => c.id === mine)?.status ?? '', /^Exited \(4\) /);
  assert.equal((await engine.inspect(mine)).state.exitCode, 4);

  // A rename by another process rewrites record.json.
  await inOtherProcess(`
    const { Engine } = await import(dir + 'engine.js');
    const { LocalImages } = await import(dir + 'images.js');
    const root = ${JSON.stringify(root)};
    const engine = new Engine(new LocalImages(root), { root, runRoot: ${JSON.stringify(join(dirname(root), 'run'))}, bridge: ${JSON.stringify(bridge)}, subnet: ${JSON.stringify(subnet)} });
    await engine.rename(${JSON.stringify(other)}, 'renamed');
    await engine.remove(${JSON.stringify(mine)}, { force: true });
  `);
  list = await engine.list({ all: true });
  assert.deepEqual(list.map((c) => c.names[0]), ['renamed']);
});
