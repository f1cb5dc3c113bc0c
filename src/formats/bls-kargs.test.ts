import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendKarg, appendKargIfMissing, deleteKarg, formatKargs, parseKargs, replaceKarg, replaceKargValue } from './bls-kargs.js';

test('parseKargs() keeps order, bare keys and quoted spaces', () => {
  const k = parseKargs('root=LABEL=rootfs rw  quiet foo="a b" console=tty0 console=ttyS0');
  assert.deepEqual(k, [['root', 'LABEL=rootfs'], ['rw', undefined], ['quiet', undefined], ['foo', '"a b"'], ['console', 'tty0'], ['console', 'ttyS0']]);
  assert.equal(formatKargs(k), 'root=LABEL=rootfs rw quiet foo="a b" console=tty0 console=ttyS0');
});

test('replaceKarg() replaces every same-named argument with one, like ostree --karg', () => {
  const k = parseKargs('a=1 console=tty0 b console=ttyS0');
  assert.equal(formatKargs(replaceKarg(k, 'console=hvc0')), 'a=1 console=hvc0 b');
  assert.equal(formatKargs(replaceKarg(k, 'new=1')), 'a=1 console=tty0 b console=ttyS0 new=1');
  assert.equal(formatKargs(appendKarg(k, 'console=x')), 'a=1 console=tty0 b console=ttyS0 console=x');
});

test('deleteKarg() and replaceKargValue() follow rpm-ostree kargs semantics', () => {
  const k = parseKargs('a=1 c=1 c=2 rw');
  assert.equal(formatKargs(deleteKarg(k, 'a')!), 'c=1 c=2 rw');
  assert.equal(deleteKarg(k, 'c'), undefined, 'ambiguous key without value');
  assert.equal(formatKargs(deleteKarg(k, 'c=2')!), 'a=1 c=1 rw');
  assert.equal(formatKargs(deleteKarg(k, 'rw')!), 'a=1 c=1 c=2');
  assert.equal(formatKargs(replaceKargValue(k, 'c=2=3')!), 'a=1 c=1 c=3 rw');
  assert.equal(formatKargs(replaceKargValue(k, 'a=5')!), 'a=5 c=1 c=2 rw');
  assert.equal(replaceKargValue(k, 'c=5'), undefined);
  assert.equal(formatKargs(appendKargIfMissing(k, 'rw')), 'a=1 c=1 c=2 rw');
  assert.equal(formatKargs(appendKargIfMissing(k, 'quiet')), 'a=1 c=1 c=2 rw quiet');
});
