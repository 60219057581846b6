import express from "express";
import { catalog } from "./catalog";

const app = express();
const port = Number(process.env.PORT ?? 3000);

app.get("/health", (_req, res) => res.send("ok"));
app.get("/products", async (_req, res) => {
  // console.log("listing products") was here while debugging
  const items = await catalog();
  console.log("products served", items.length);
  res.json(items);
});

app.listen(port, () => {
  console.info(`web listening on ${port}`);
});
