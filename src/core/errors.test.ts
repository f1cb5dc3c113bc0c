import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineError, isHostError, ERROR_REGISTRY, step, EXIT_CODE } from './errors.js';

test('defineError() makes errors with a stable code and kind', () => {
  const Boom = defineError<{ n: number }>('CORE_TEST_BOOM', 'corrupt');
  const err = new Boom('It broke', { n: 1 });
  assert.equal(err.code, 'CORE_TEST_BOOM');
  assert.equal(err.kind, 'corrupt');
  assert.ok(isHostError(err));
  assert.ok(Boom.is(err));
  assert.deepEqual(err.toJSON(), { code: 'CORE_TEST_BOOM', kind: 'corrupt', message: 'It broke', details: { n: 1 } });
  assert.equal(ERROR_REGISTRY.get('CORE_TEST_BOOM'), 'corrupt');
  assert.equal(EXIT_CODE[err.kind], 9);
});

test('defineError() refuses a code defined twice', () => {
  defineError('CORE_TEST_TWICE', 'internal');
  assert.throws(() => defineError('CORE_TEST_TWICE', 'internal'), RangeError);
});

test('step() adds a context frame and keeps the code', async () => {
  const Bad = defineError('CORE_TEST_STEP', 'invalid-argument');
  await assert.rejects(
    step('Staging deployment', () => step('Writing origin', async () => { throw new Bad('EACCES', {}); })),
    (err: unknown) => isHostError(err) && err.code === 'CORE_TEST_STEP' && err.message === 'Staging deployment: Writing origin: EACCES',
  );
});
