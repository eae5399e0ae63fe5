/** Tests are written in TypeScript under test/ and run from their compiled form in dist/test,
 *  so the suite needs no transpiler at run time and matches what `npm start` runs. */
module.exports = {
  roots: ['<rootDir>/dist/test'],
  testMatch: ['**/*.test.js'],
  testTimeout: 180000,
  verbose: true,
};
