"""tools/vm/apt_proxy.py: the apt cache's address as the VMs and the builds inside them reach it."""

import os
import socket
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "tools", "vm"))

import apt_proxy  # noqa: E402  (path set above)


@pytest.mark.parametrize("address", ["127.0.0.1", "0.0.0.0", "172.17.0.1", "172.17.255.3"])
def test_addresses_a_build_container_cannot_reach_are_refused(address):
    assert apt_proxy.usable(address)


@pytest.mark.parametrize("address", ["192.0.2.2", "10.0.0.5", "172.18.0.1"])
def test_other_addresses_are_usable(address):
    assert apt_proxy.usable(address) is None


def test_prints_the_url_only_when_the_cache_answers(monkeypatch, capsys):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    # 127.0.0.1 stands for the controller's address here; usable() is tested above.
    monkeypatch.setattr(apt_proxy, "source_address", lambda: "127.0.0.1")
    monkeypatch.setattr(apt_proxy, "usable", lambda address: None)
    assert apt_proxy.main(["--port", str(port)]) == 0
    assert capsys.readouterr().out == "http://127.0.0.1:%d\n" % port
    listener.close()
    assert apt_proxy.main(["--port", str(port)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "nothing answers" in captured.err


def test_a_shadowed_source_address_prints_nothing(monkeypatch, capsys):
    monkeypatch.setattr(apt_proxy, "source_address", lambda: "172.17.0.5")
    assert apt_proxy.main([]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "inner engines' default bridge" in captured.err
