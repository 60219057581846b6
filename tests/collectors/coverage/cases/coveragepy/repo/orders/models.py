class Order:
    def __init__(self, items):
        self.items = list(items)
        self.cancelled = False

    def total(self):
        return sum(price for _, price in self.items)
