// A test file that never runs: the module it needs does not exist.
const { missing } = require("./no-such-module");

test("never runs", () => {
  expect(missing).toBeDefined();
});
