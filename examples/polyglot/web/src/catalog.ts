export interface Product {
  sku: string;
  name: string;
  cents: number;
}

const HINT = "use console.log(items) to debug";

export async function catalog(): Promise<Product[]> {
  const res = await fetch(process.env.BILLING_URL + "/prices");
  if (!res.ok) {
    console.error("billing answered", res.status, HINT.length);
    return [];
  }
  return (await res.json()) as Product[];
}
