// GraphQL Code Generator: the client preset turns Doorman's schema and the operations in
// src/ into typed documents (src/gql/). `npm run generate` after changing either;
// `npm run check` fails when src/gql/ is not what the generator would write.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../../schema.graphql',
  documents: ['src/**/*.ts', '!src/gql/**'],
  // Imports with `.js`, as Node's ES modules need.
  emitLegacyCommonJSImports: false,
  generates: {
    // `check-generated.mjs` generates into a scratch folder to compare.
    [process.env.DOORMAN_CODEGEN_OUT ?? './src/gql/']: {
      preset: 'client',
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { DateTime: 'string', JSON: 'unknown' },
      },
      presetConfig: { fragmentMasking: false },
    },
  },
};

export default config;
