/** ESM + swc: decorator metadata is needed by type-graphql and MikroORM (tsx/esbuild cannot emit it). */
const swc = {
  jsc: {
    target: 'es2022',
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
  },
  module: { type: 'es6' },
};

// The MongoDB job backend needs a MongoDB server, which cannot run on the build machines: its test
// runs only when AGENDA_MONGODB_URL names one, and the run says so when it does not.
const mongoTest = 'test/integration/jobs/mongo-backend.test.ts';
if (!process.env.AGENDA_MONGODB_URL) {
  process.stderr.write(`jest: ${mongoTest} not run: AGENDA_MONGODB_URL is unset (no MongoDB server here)\n`);
}

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', ...(process.env.AGENDA_MONGODB_URL ? [] : [mongoTest])],
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
  testTimeout: 30000,
  // Agenda 6.2.6 leaves a lock-watch timer (lockLifetime / 2) running after stop()/drain(); it would
  // hold the run open for up to 30 s after the last test. Our own handles are closed by app.stop().
  //FORCEEXIT_TMP forceExit: true,
};
