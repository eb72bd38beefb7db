import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', 'coverage/', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    // Tests read JSON answers loosely; production code may not.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The domain core stays pure: no AWS SDK, no Lambda types, no environment.
    files: ['lambda/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['@aws-sdk/*', 'aws-lambda', 'aws-cdk-lib', 'aws-cdk-lib/*'] }],
      'no-restricted-globals': ['error', { name: 'process', message: 'The core reads no environment: pass values in.' }],
    },
  },
  {
    // The Lambdas call DynamoDB, SES v2, SQS and SNS through lambda/adapters/aws (a generated client
    // costs 50-80 KB of every cold start); the generated clients stay in tests, bench and local.
    files: ['lambda/**/*.ts'],
    ignores: ['lambda/core/**/*.ts', 'lambda/console/app/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb', '@aws-sdk/client-sesv2', '@aws-sdk/client-sqs', '@aws-sdk/client-sns'].map((name) => ({
            name,
            message: 'Lambda code calls this service through the light client in lambda/adapters/aws (see the README, "Light AWS clients").',
          })),
        },
      ],
    },
  },
  {
    // The browser console: API data reaches the page only as text and attributes (see its dom.ts).
    // Of the server code it may import only core/webhooks (no imports of its own): the event-type list.
    files: ['lambda/console/app/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:*', '@aws-sdk/*', 'aws-lambda', '**/core/*', '!**/core/webhooks', '**/adapters/*', '**/entrypoints/*', '**/shared/*'] }],
      'no-restricted-properties': [
        'error',
        ...['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'write', 'writeln', 'createContextualFragment'].map((property) => ({ property, message: 'Build elements with h(): text through textContent, attributes through setAttribute.' })),
      ],
      'no-restricted-globals': ['error', { name: 'eval', message: 'No eval: the CSP forbids it.' }],
      'no-implied-eval': 'error',
      'no-new-func': 'error',
    },
  },
  {
    // The stack shares names and table definitions with the Lambdas, nothing else.
    files: ['lib/**/*.ts', 'bin/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['**/lambda/core/*', '**/lambda/adapters/*', '**/lambda/entrypoints/*'] }],
    },
  },
);
