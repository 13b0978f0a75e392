// ESLint flat config: typescript-eslint's type-checked rules everywhere, dependency hygiene
// (every import is declared in the importing workspace's package.json), and runtime boundaries
// (isomorphic packages may not import Node built-ins; see ARCHITECTURE.md).
import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/** Packages that must run in browsers and Node alike; `.node.ts` files inside them are exempt. */
const ISOMORPHIC = [
  'packages/bytes',
  'packages/primitives',
  'packages/primitives-noble',
  'packages/protocol',
  'packages/mls',
  'packages/keytrans',
  'packages/client',
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createNodeResolver()] },
    rules: {
      'import-x/no-extraneous-dependencies': [
        'error',
        {
          includeTypes: true,
          devDependencies: [
            '**/test/**',
            '**/src/testing/**',
            'bench/**',
            'conformance/**',
            'interop/**',
            'examples/**',
            'scripts/**',
            'apps/web/vite.config.ts',
            'apps/web/build/**',
          ],
        },
      ],
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      'import-x/no-self-import': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/explicit-module-boundary-types': 'error',
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='process'][callee.property.name='exit']",
          message:
            'Library code never calls process.exit(); return an exit code from main instead.',
        },
      ],
    },
  },
  {
    files: ISOMORPHIC.map((p) => `${p}/src/**/*.ts`),
    ignores: ['**/*.node.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'crypto', 'os', 'child_process'],
              message: 'Isomorphic package: Node APIs only in *.node.ts files.',
            },
          ],
        },
      ],
    },
  },
  {
    files: [
      '**/test/**/*.ts',
      'bench/**/*.ts',
      'conformance/**/*.ts',
      'scripts/**',
      'apps/*/src/main.ts',
    ],
    rules: {
      'no-restricted-syntax': 'off',
      '@typescript-eslint/explicit-module-boundary-types': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['scripts/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
