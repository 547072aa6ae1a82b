import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.gorggle/**',
      'coverage/**',
      'ec2-avhubert/native/build/**',
      'ec2-avhubert/dist/**',
      'test-output/**',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Domain code talks to AWS only through ports; the SDK lives in adapters.
    files: ['functions/lib/**/*.ts'],
    ignores: ['functions/lib/adapters/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@aws-sdk/*'], message: 'Domain code takes ports; put SDK calls in functions/lib/adapters/.' },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'ec2-avhubert/test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
