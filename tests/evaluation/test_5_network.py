"""Docker network: the project declares its own network (named inception) and every
service is on networks the project declares (the stack splits them: MariaDB and php-fpm
on internal ones), none on compose's default network nor the host's."""

import pytest

from stack import SERVICES, project_networks_of

SECTION = "5. Docker network"


@pytest.mark.by_hand("docker network ls")
def test_project_network_is_listed(host):
    names = host.check_output("docker network ls --format '{{.Name}}'").split()
    assert "inception" in names, "no network named inception in docker network ls: %s" % names


@pytest.mark.by_hand("docker inspect -f '{{.Name}} {{json .NetworkSettings.Networks}}' nginx wordpress mariadb")
def test_every_service_is_on_the_project_network(host):
    kinds = {s: project_networks_of(host, s) for s in SERVICES}
    missing = {s: k for s, k in kinds.items() if not k or set(k.values()) != {"project"}}
    assert not missing, "services not on the inception network or another the project declares: %s" % missing
    assert any("inception" in k for k in kinds.values()), "no service on the inception network: %s" % kinds


@pytest.mark.by_hand("docker inspect -f '{{.Name}} {{.HostConfig.NetworkMode}}' nginx wordpress mariadb")
def test_no_service_uses_the_host_network(host):
    modes = {s: host.check_output("docker inspect -f '{{.HostConfig.NetworkMode}}' %s", s) for s in SERVICES}
    assert not [s for s, mode in modes.items() if mode == "host"], "network_mode host: %s" % modes
