// ESLint flat config: typescript-eslint's recommended rules for every TypeScript file, the Vue
// plug-in's recommended rules (priority A and B of the Vue style guide) for the renderer, and
// eslint-config-prettier last so that formatting is Prettier's job alone.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import vue from 'eslint-plugin-vue';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'release/',
      'runs/',
      'test-results/',
      'test/artifacts/',
      'bench/results/',
      '.cache/',
      '**/*.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      // `_`-prefixed names are deliberately unused (placeholders in destructuring and signatures).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Experiment registries are heterogeneous by design (each entry has its own config type).
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  prettier,
);
