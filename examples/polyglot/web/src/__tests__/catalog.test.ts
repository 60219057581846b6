import { catalog } from "../catalog";

test("an unreachable billing service gives an empty catalog", async () => {
  globalThis.fetch = async () => ({ ok: false, status: 503 }) as Response;
  console.log("fetch replaced");
  expect(await catalog()).toEqual([]);
});
