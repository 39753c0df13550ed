"""Docker network: the project declares its own network and every service is on it."""

import json

import pytest

from stack import SERVICES

SECTION = "5. Docker network"


def networks_of(host, service):
    return json.loads(host.check_output("docker inspect -f '{{json .NetworkSettings.Networks}}' %s", service))


@pytest.mark.by_hand("docker network ls")
def test_project_network_is_listed(host):
    names = host.check_output("docker network ls --format '{{.Name}}'").split()
    assert "inception" in names, "no network named inception in docker network ls: %s" % names


@pytest.mark.by_hand("docker inspect -f '{{.Name}} {{json .NetworkSettings.Networks}}' nginx wordpress mariadb")
def test_every_service_is_on_the_project_network(host):
    missing = {s: sorted(networks_of(host, s)) for s in SERVICES if "inception" not in networks_of(host, s)}
    assert not missing, "services not on the inception network: %s" % missing


@pytest.mark.by_hand("docker inspect -f '{{.Name}} {{.HostConfig.NetworkMode}}' nginx wordpress mariadb")
def test_no_service_uses_the_host_network(host):
    modes = {s: host.check_output("docker inspect -f '{{.HostConfig.NetworkMode}}' %s", s) for s in SERVICES}
    assert not [s for s, mode in modes.items() if mode == "host"], "network_mode host: %s" % modes
