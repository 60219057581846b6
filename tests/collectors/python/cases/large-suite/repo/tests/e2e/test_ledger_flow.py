import pytest

from tests.e2e.helpers import parse, run


import subprocess


def test_e2e_flow_0():
    assert run("flow-0") == 0


def test_e2e_flow_1():
    assert run("flow-1") == 0


def test_e2e_flow_2():
    assert run("flow-2") == 0


def test_e2e_flow_3():
    assert run("flow-3") == 0


def test_e2e_rejects_bad_input_4():
    with pytest.raises(ValueError):
        parse("bad-4")


def test_e2e_flow_5():
    assert run("flow-5") == 0


def test_e2e_flow_6():
    assert run("flow-6") == 0


def test_e2e_flow_7():
    assert run("flow-7") == 0


def test_e2e_flow_8():
    assert run("flow-8") == 0


def test_e2e_flow_9():
    assert run("flow-9") == 0


def test_e2e_flow_10():
    assert run("flow-10") == 0


def test_e2e_flow_11():
    assert run("flow-11") == 0


def test_e2e_flow_12():
    assert run("flow-12") == 0


def test_e2e_rejects_bad_input_13():
    with pytest.raises(ValueError):
        parse("bad-13")


def test_e2e_flow_14():
    assert run("flow-14") == 0


def test_e2e_flow_15():
    assert run("flow-15") == 0


def test_e2e_flow_16():
    assert run("flow-16") == 0


def test_e2e_flow_17():
    assert run("flow-17") == 0


def test_e2e_flow_18():
    assert run("flow-18") == 0


def test_e2e_flow_19():
    assert run("flow-19") == 0


def test_e2e_flow_20():
    assert run("flow-20") == 0


def test_e2e_flow_21():
    assert run("flow-21") == 0


def test_e2e_rejects_bad_input_22():
    with pytest.raises(ValueError):
        parse("bad-22")


def test_e2e_flow_23():
    assert run("flow-23") == 0


def test_e2e_flow_24():
    assert run("flow-24") == 0


def test_e2e_flow_25():
    assert run("flow-25") == 0


def test_e2e_flow_26():
    assert run("flow-26") == 0


def test_e2e_flow_27():
    assert run("flow-27") == 0


def test_e2e_flow_28():
    assert run("flow-28") == 0


def test_e2e_flow_29():
    assert run("flow-29") == 0


def test_e2e_flow_30():
    assert run("flow-30") == 0


def test_e2e_rejects_bad_input_31():
    with pytest.raises(ValueError):
        parse("bad-31")


def test_e2e_flow_32():
    assert run("flow-32") == 0


def test_e2e_flow_33():
    assert run("flow-33") == 0


def test_e2e_flow_34():
    assert run("flow-34") == 0


def test_e2e_flow_35():
    assert run("flow-35") == 0


def test_e2e_flow_36():
    assert run("flow-36") == 0


def test_e2e_flow_37():
    assert run("flow-37") == 0


def test_e2e_flow_38():
    assert run("flow-38") == 0


def test_e2e_flow_39():
    assert run("flow-39") == 0


def test_e2e_rejects_bad_input_40():
    with pytest.raises(ValueError):
        parse("bad-40")


def test_e2e_flow_41():
    assert run("flow-41") == 0


def test_e2e_flow_42():
    assert run("flow-42") == 0


def test_e2e_flow_43():
    assert run("flow-43") == 0


def test_e2e_flow_44():
    assert run("flow-44") == 0


def test_e2e_flow_45():
    assert run("flow-45") == 0


def test_e2e_flow_46():
    assert run("flow-46") == 0


def test_e2e_flow_47():
    assert run("flow-47") == 0


def test_e2e_flow_48():
    assert run("flow-48") == 0


def test_e2e_rejects_bad_input_49():
    with pytest.raises(ValueError):
        parse("bad-49")


def test_e2e_flow_50():
    assert run("flow-50") == 0


def test_e2e_flow_51():
    assert run("flow-51") == 0


def test_e2e_flow_52():
    assert run("flow-52") == 0


def test_e2e_flow_53():
    assert run("flow-53") == 0


def test_e2e_flow_54():
    assert run("flow-54") == 0
