/** Writes package.json's settings (`contributes.configuration`, restricted configurations) from the table in common/src/settings.ts. */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { SETTINGS, type SettingDeclaration } from '../common/src/settings';

export const PACKAGE_JSON = path.join(__dirname, '..', 'package.json');

/** `contributes.configuration`, as JSON has it (no undefined fields). */
export function configuration(): unknown {
  const properties = Object.fromEntries(Object.entries(SETTINGS).map(([key, declaration]) => [`bioner.${key}`, schemaOf(declaration)]));
  return JSON.parse(JSON.stringify({ title: 'BioNER', properties }));
}

/** Settings an untrusted workspace may not set (VS Code then reads them from user settings only). */
export function restrictedConfigurations(): string[] {
  return Object.entries(SETTINGS)
    .filter(([, declaration]) => 'restricted' in declaration)
    .map(([key]) => `bioner.${key}`);
}

function schemaOf(declaration: SettingDeclaration): object {
  const { default: defaultValue, scope, description } = declaration;
  switch (declaration.type) {
    case 'object': {
      const properties = Object.entries(declaration.properties).map(([key, property]) => [
        key,
        { type: 'string', enum: declaration.enum, default: defaultValue[key as keyof typeof defaultValue], description: property.description },
      ]);
      return { type: 'object', additionalProperties: false, properties: Object.fromEntries(properties), default: defaultValue, description };
    }
    case 'array':
      return { type: 'array', items: { type: 'string' }, default: defaultValue, scope, description };
    case 'integer':
    case 'number': {
      const { minimum, exclusiveMinimum, maximum } = declaration;
      return { type: declaration.type, default: defaultValue, minimum, exclusiveMinimum, maximum, scope, description };
    }
    case 'string':
      return { type: 'string', enum: declaration.enum, default: defaultValue, scope, description };
    case 'boolean':
      return { type: 'boolean', default: defaultValue, scope, description };
  }
}

// Read, replace the two keys and write at once: other parts of package.json are edited by hand meanwhile.
function writeManifest(): void {
  const manifest = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8'));
  manifest.contributes.configuration = configuration();
  manifest.capabilities.untrustedWorkspaces.restrictedConfigurations = restrictedConfigurations();
  writeFileSync(PACKAGE_JSON, JSON.stringify(manifest, null, 2) + '\n');
}

if (require.main === module) writeManifest();
