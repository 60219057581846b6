import { Cart } from "./cart";

describe("Cart", () => {
  it("adds items", () => {
    expect(new Cart().add("apple").size).toBe(1);
  });
  it("applies the discount", () => {
    expect(new Cart().add("apple").total()).toBe(0.9);
  });
  it.skip("syncs with the server", () => {});
});
