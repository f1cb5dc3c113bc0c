import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandDatePrefix, nextVersion } from './version.js';

const NOW = new Date(Date.UTC(2026, 10, 27, 7, 5, 9));

test('nextVersion() counts up after the prefix, as rpm-ostree does', () => {
  assert.equal(nextVersion('12', '.', undefined, NOW), '12');
  assert.equal(nextVersion('12', '.', '12', NOW), '12.1');
  assert.equal(nextVersion('12', '.', '12.1', NOW), '12.2');
  assert.equal(nextVersion('12', '.', '12.9', NOW), '12.10');
  assert.equal(nextVersion('13', '.', '12.4', NOW), '13');
  assert.equal(nextVersion('12', '-', '12-3', NOW), '12-4');
  assert.equal(nextVersion('12', '.', '12.x', NOW), '12');
});

test('expandDatePrefix() formats <date:...> in UTC', () => {
  assert.equal(expandDatePrefix('13.<date:%Y%m%d>', NOW), '13.20261127');
  assert.equal(nextVersion('13.<date:%Y%m%d>', '.', '13.20261127.2', NOW), '13.20261127.3');
  assert.equal(nextVersion('13.<date:%Y%m%d>', '.', '13.20261126.2', NOW), '13.20261127');
});
