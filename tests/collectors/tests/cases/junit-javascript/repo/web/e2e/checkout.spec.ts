import { expect, test } from "@playwright/test";

test("has title", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveTitle(/Shop/);
});

test("checkout with an expired card shows an error", async ({ page }) => {
  await page.goto("/checkout");
  await expect(page.getByRole("alert")).toHaveText("Card expired");
});
