export class Cart {
  private items: string[] = [];
  add(item: string): Cart {
    this.items.push(item);
    return this;
  }
  get size(): number {
    return this.items.length;
  }
  total(): number {
    return this.items.length;
  }
}
