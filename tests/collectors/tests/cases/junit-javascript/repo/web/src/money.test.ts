import { format } from "./money";

test("formats cents", () => {
  expect(format(1999)).toBe("$19.99");
});
