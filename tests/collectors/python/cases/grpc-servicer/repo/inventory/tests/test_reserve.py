import grpc
import pytest

import inventory_pb2


def test_reserve_decrements(inventory):
    reply = inventory.Reserve(inventory_pb2.ReserveRequest(sku="apple", quantity=2))
    assert reply.remaining == 1


def test_unknown_sku_is_not_found(inventory):
    with pytest.raises(grpc.RpcError) as err:
        inventory.Reserve(inventory_pb2.ReserveRequest(sku="pear", quantity=1))
    assert err.value.code() is grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize("stock", [{"apple": "three"}])
def test_corrupt_stock_is_internal(inventory):
    with pytest.raises(grpc.RpcError) as err:
        inventory.Reserve(inventory_pb2.ReserveRequest(sku="apple", quantity=1))
    assert err.value.code() == grpc.StatusCode.INTERNAL, err.value.details()
