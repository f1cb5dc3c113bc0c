import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBlkioServiceBytes, parseIoStat } from './block-io.js';

test('parseBlkioServiceBytes() sums Read and Write over devices and ignores the Total line', () => {
  const text = '8:0 Read 4096\n8:0 Write 1048576\n8:0 Sync 0\n8:0 Async 1052672\n8:0 Total 1052672\n254:0 Read 512\n254:0 Write 0\nTotal 1053184\n';
  assert.deepEqual(parseBlkioServiceBytes(text), { read: 4608, write: 1048576 });
  assert.deepEqual(parseBlkioServiceBytes(''), { read: 0, write: 0 });
});

test('parseIoStat() sums rbytes and wbytes of cgroup v2 io.stat', () => {
  const text = '8:0 rbytes=8192 wbytes=1048576 rios=2 wios=16 dbytes=0 dios=0\n254:0 rbytes=100 wbytes=4 rios=1 wios=1 dbytes=0 dios=0\n';
  assert.deepEqual(parseIoStat(text), { read: 8292, write: 1048580 });
});
