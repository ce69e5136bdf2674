/** resolveSettings checks each value against its declaration: wrong types and values out of range fall back to defaults. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SEVERITY } from '@common/diagnostics';
import { DEFAULT_SETTINGS, resolveSettings } from '@common/settings';

test('missing settings are the defaults, and client-only settings are left out', () => {
  assert.deepEqual(resolveSettings(null), DEFAULT_SETTINGS);
  // Each default passes its own declaration's checks.
  assert.deepEqual(resolveSettings(DEFAULT_SETTINGS), DEFAULT_SETTINGS);
  assert.deepEqual(DEFAULT_SETTINGS.severity, DEFAULT_SEVERITY);
  assert.ok(!('proseLanguages' in DEFAULT_SETTINGS) && !('pythonPath' in DEFAULT_SETTINGS));
});

test('values of the wrong type, outside the allowed values or out of range fall back to their defaults', () => {
  const resolved = resolveSettings({
    tagColumn: '2',
    scheme: 'IOB3',
    maxFileSizeMB: 0,
    workers: 17,
    threads: Number.NaN,
    useQuantized: 'yes',
    lowConfidenceThreshold: 1.5,
    modelPath: 3,
    bioPredictions: 'some',
    entityTypes: 'Chemical',
  });
  assert.deepEqual(resolved, DEFAULT_SETTINGS);
  assert.deepEqual(resolveSettings({ entityTypes: ['Chemical', 3] }), DEFAULT_SETTINGS);
});

test('valid values are kept; integers are truncated; a fractional size limit is allowed', () => {
  const resolved = resolveSettings({ tagColumn: 1.7, scheme: 'IOBES', maxFileSizeMB: 0.001, workers: 3.9, disagreementThreshold: 0, device: 'cpu', entityTypes: ['Species'] });
  assert.deepEqual(resolved.entityTypes, ['Species']);
  assert.equal(resolved.tagColumn, 1);
  assert.equal(resolved.scheme, 'IOBES');
  assert.equal(resolved.maxFileSizeMB, 0.001);
  assert.equal(resolved.workers, 3);
  assert.equal(resolved.disagreementThreshold, 0);
  assert.equal(resolved.device, 'cpu');
});

test('each severity is checked on its own; unknown codes are ignored', () => {
  const { severity } = resolveSettings({ severity: { 'label-typo': 'error', 'empty-tag': 'fatal', 'no-such-code': 'off' } });
  assert.deepEqual(severity, { ...DEFAULT_SEVERITY, 'label-typo': 'error' });
  assert.ok(!('no-such-code' in severity));
});
