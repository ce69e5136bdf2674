/** package.json's settings and README's settings and diagnostic-code tables agree with the tables in common/src. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DIAGNOSTICS } from '@common/diagnostics';
import { SETTINGS } from '@common/settings';
import { configuration, PACKAGE_JSON, restrictedConfigurations } from '../../scripts/manifest';

const REGENERATE = 'common/src/settings.ts and common/src/diagnostics.ts are the source: run `npm run manifest`';
const README = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');

test('package.json declares the settings of the table', () => {
  const manifest = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8'));
  assert.deepEqual(manifest.contributes.configuration, configuration(), `package.json's contributes.configuration has drifted; ${REGENERATE}`);
  assert.deepEqual(
    manifest.capabilities.untrustedWorkspaces.restrictedConfigurations,
    restrictedConfigurations(),
    `package.json's restrictedConfigurations have drifted; ${REGENERATE}`,
  );
});

test("README's settings table lists every setting with its default", () => {
  const rows = tableRows('### Settings');
  assert.deepEqual([...rows.keys()].sort(), Object.keys(SETTINGS).map((key) => `bioner.${key}`).sort(), 'README.md: the settings table lists other settings than common/src/settings.ts');
  for (const [key, declaration] of Object.entries(SETTINGS)) {
    // An object's defaults are those of its properties, given in their own table.
    const expected = declaration.type === 'object' ? 'see table' : declaration.default;
    assert.deepEqual(readmeValue(rows.get(`bioner.${key}`)!), expected, `README.md: the default of bioner.${key} differs from common/src/settings.ts`);
  }
});

test("README's diagnostic-code table lists every code with its default severity", () => {
  const rows = tableRows('### Diagnostic codes');
  assert.deepEqual([...rows.keys()].sort(), Object.keys(DIAGNOSTICS).sort(), 'README.md: the diagnostic-code table lists other codes than common/src/diagnostics.ts');
  for (const [code, { severity }] of Object.entries(DIAGNOSTICS)) {
    assert.equal(readmeValue(rows.get(code)!), severity, `README.md: the default severity of ${code} differs from common/src/diagnostics.ts`);
  }
});

/** The first two cells of each body row of the table under `heading`: name → default. */
function tableRows(heading: string): Map<string, string> {
  const start = README.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `README.md has no '${heading}' section`);
  const section = README.slice(start + heading.length + 2).split(/\n#/)[0];
  const body = section.split('\n').filter((line) => line.startsWith('|')).slice(2);
  assert.ok(body.length > 0, `README.md: no table under '${heading}'`);
  return new Map(body.map((line) => line.split('|').slice(1, 3).map((cell) => cell.trim().replace(/^`(.*)`$/, '$1')) as [string, string]));
}

/** A default cell as a value: JSON where it parses (`-1`, `""`, `false`, `[]`), else the word itself (`auto`). */
function readmeValue(cell: string): unknown {
  try {
    return JSON.parse(cell);
  } catch {
    return cell;
  }
}
