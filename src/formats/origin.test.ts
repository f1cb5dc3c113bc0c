import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatOrigin, originForRefspec, originGet, originIsPinned, originRefspec, originSet, originWithoutTransient, parseOrigin } from './origin.js';
import { isHostError } from '../core/index.js';

test('formatOrigin() writes what ostree writes for a refspec origin', () => {
  assert.equal(formatOrigin(originForRefspec('test/os')), '[origin]\nrefspec=test/os\n');
});

test('parseOrigin() keeps unknown groups and keys in order through a round trip', () => {
  const text = '[origin]\nrefspec=local:debian/12\ncustom=x y\n\n[packages]\nrequested=vim;tmux;\n\n[libostree-transient]\npinned=true\n';
  const o = parseOrigin(text);
  assert.equal(originRefspec(o), 'local:debian/12');
  assert.equal(originGet(o, 'packages', 'requested'), 'vim;tmux;');
  assert.ok(originIsPinned(o));
  assert.equal(formatOrigin(o), text);
});

test('originSet() adds, replaces and removes keys', () => {
  let o = originForRefspec('a');
  o = originSet(o, 'libostree-transient', 'pinned', 'true');
  assert.ok(originIsPinned(o));
  o = originSet(o, 'libostree-transient', 'pinned', undefined);
  assert.ok(!originIsPinned(o));
  assert.equal(formatOrigin(o), '[origin]\nrefspec=a\n');
  o = originSet(o, 'origin', 'refspec', 'b');
  assert.equal(originRefspec(o), 'b');
  const pinned = originSet(o, 'libostree-transient', 'pinned', 'true');
  assert.equal(formatOrigin(originWithoutTransient(pinned)), '[origin]\nrefspec=b\n');
});

test('parseOrigin() unescapes GKeyFile escapes and rejects keys outside a group', () => {
  assert.equal(originGet(parseOrigin('[g]\nk=\\sa\\nb\\\\\n'), 'g', 'k'), ' a\nb\\');
  assert.equal(formatOrigin(parseOrigin('[g]\nk=\\sa\\nb\\\\\n')), '[g]\nk=\\sa\\nb\\\\\n');
  assert.throws(() => parseOrigin('k=v\n'), (e: unknown) => isHostError(e) && e.code === 'FORMAT_ORIGIN_SYNTAX');
});
