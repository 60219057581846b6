// Runs under jest and under vitest (with --globals): CommonJS, describe/test/expect from the runner.
// The passing tests wait 2 ms: jest-junit writes a test.todo exactly like a pass that took 0 ms, and only a
// todo that is the one zero-time childless case can be told apart (see junit_dialects.py).
const { add, cents } = require("./money");

const settle = () => new Promise((resolve) => setTimeout(resolve, 2));

describe("add", () => {
  test("adds two numbers", async () => {
    await settle();
    expect(add(2, 2)).toBe(4);
  });

  test("fails on purpose", () => {
    expect(add(2, 2)).toBe(5);
  });

  describe("negative numbers", () => {
    test("keeps the sign", async () => {
      await settle();
      expect(add(-2, -3)).toBe(-5);
    });
  });
});

describe("cents", () => {
  test("rounds to whole cents", async () => {
    await settle();
    expect(cents(1.005)).toBe(100);
  });

  test.skip("handles currencies without cents", () => {
    expect(cents(1)).toBe(1);
  });

  test.todo("formats with a currency sign");
});
