import { describe, expect, it } from "vitest";

describe("math", () => {
  it("adds", () => expect(1 + 2).toBe(3));
  it("divides", () => expect(6 / 4).toBe(1));
  it.todo("handles overflow");
});
