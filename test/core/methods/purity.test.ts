import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Every module a source file imports, followed through relative imports; returns the package imports met. */
function packageImports(entry: string): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)) {
      const specifier = match[1];
      if (specifier.startsWith('.')) visit(resolve(dirname(file), `${specifier}.ts`));
      else packages.add(specifier);
    }
  };
  visit(resolve(root, entry));
  return packages;
}

describe('what host and renderer may import', () => {
  // The host and the renderer read method descriptors and scores; they must never load tfjs.
  it.each([
    'core/methods/index.ts',
    'core/scoring/classification.ts',
    'core/scoring/regression.ts',
    'core/methods/temperatureScaling.ts',
    'core/methods/laplace.ts',
  ])('%s imports no @tensorflow package', (entry) => {
    const imports = [...packageImports(entry)];
    expect(imports.filter((name) => name.startsWith('@tensorflow'))).toEqual([]);
  });

  it('sees tfjs where it is used (the check works)', () => {
    expect([...packageImports('core/methods/ensemble.ts')]).toContain('@tensorflow/tfjs-core');
  });
});
