import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules', 'dist', 'coverage', '.data', 'tmp', 'edge/.wrangler', 'edge/node_modules'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Off on purpose: emitDecoratorMetadata needs value imports of classes used in decorated
      // signatures (type-graphql, MikroORM); a type-only import silently breaks the metadata.
      '@typescript-eslint/consistent-type-imports': 'off',
      'no-console': 'off',
    },
  },
  {
    // Written by `npm run migration:create`; its template literals escape every `$`.
    files: ['src/db/migrations/Migration*.ts'],
    rules: { 'no-useless-escape': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', globalThis: 'readonly' } },
  },
);
