from orders.models import Order


def create(items):
    if not items:
        raise ValueError("an order needs items")
    return Order(items)


def cancel(order):
    order.cancelled = True
    return order
