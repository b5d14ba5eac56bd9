import tseslint from 'typescript-eslint';

// The pure layers run in Node (unit tests, the CLI) and in Workers: no React, no DOM-bound UI state.
const PURE = ['src/formats/**', 'src/model/**', 'src/text/**', 'src/compute/**', 'src/merge/**', 'src/analysis/**', 'src/train/**', 'src/cli/**', 'src/node/**'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'public/**', 'test-results/**', 'playwright-report/**', 'bench/data/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: PURE,
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          { name: 'react', message: 'Pure layers must not import React (they run in Node and Workers).' },
          { name: 'react-dom', message: 'Pure layers must not import React DOM.' },
          { name: 'zustand', message: 'Pure layers must not import the UI store.' },
          { name: 'recharts', message: 'Pure layers must not import chart widgets.' },
        ],
        patterns: [
          { group: ['react/*', 'react-dom/*', 'zustand/*'], message: 'Pure layers must not import UI libraries.' },
          { group: ['**/ui/**', '**/store/**'], message: 'Pure layers must not import the UI or the store.' },
        ],
      }],
      'no-restricted-globals': ['error',
        { name: 'document', message: 'Pure layers must not touch the DOM.' },
        { name: 'window', message: 'Pure layers must not touch the DOM (use globalThis for feature checks).' },
        { name: 'localStorage', message: 'Pure layers must not touch browser storage.' },
      ],
    },
  },
);
