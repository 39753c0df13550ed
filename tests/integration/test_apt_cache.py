"""The harness's apt cache (inception_apt_proxy, given by tools/vm/apt_proxy.py as
INCEPTION_APT_PROXY): the VM's apt and the image builds inside it fetched their packages
through apt-cacher-ng on the controller, and the cache left no trace on the VM, in the
rendered project, in any image or container."""

import json
import os
import subprocess

import pytest

SECTION = "Harness: the apt cache on the controller"
LOG = "/var/log/apt-cacher-ng/apt-cacher.log"
# Installed on the VM itself (vm_host, docker_engine) / only ever inside the image builds.
ON_THE_VM = ("docker.io", "docker-ce", "curl")
IN_THE_IMAGES = ("mariadb-server", "php8.2-fpm", "nginx")


@pytest.fixture(scope="module")
def proxy():
    url = os.environ.get("INCEPTION_APT_PROXY", "")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI runs with an apt cache (tools/host-deps.sh starts it): INCEPTION_APT_PROXY is empty, "
                        "see tools/vm/apt_proxy.py's message in the make output")
        pytest.skip("no apt cache in this run (INCEPTION_APT_PROXY is empty; APT_CACHE=yes make host-deps starts one)")
    return url


@pytest.fixture(scope="module")
def vm_address(host):
    """The VM's address on the controller's Docker network (the client apt-cacher-ng logs)."""
    out = subprocess.run(["docker", "inspect", host.backend.host], capture_output=True, text=True, check=True).stdout
    networks = json.loads(out)[0]["NetworkSettings"]["Networks"]
    return {n["IPAddress"] for n in networks.values() if n.get("IPAddress")}


def fetched_by(addresses):
    """Package names apt-cacher-ng served to these clients (time|kind|size|client|path)."""
    names = set()
    with open(LOG, encoding="utf-8", errors="replace") as log:
        for line in log:
            fields = line.rstrip("\n").split("|")
            if len(fields) >= 5 and fields[3] in addresses and fields[4].endswith(".deb"):
                names.add(os.path.basename(fields[4]).split("_")[0])
    return names


def test_vm_and_image_builds_fetched_through_the_cache(proxy, vm_address):
    assert os.access(LOG, os.R_OK), "cannot read apt-cacher-ng's log %s (run as root)" % LOG
    names = fetched_by(vm_address)
    assert names & set(ON_THE_VM), "the VM's own apt did not go through %s: it fetched %s" % (proxy, sorted(names)[:20])
    assert set(IN_THE_IMAGES) <= names, "image builds did not go through %s: missing %s" % (
        proxy, sorted(set(IN_THE_IMAGES) - names))


def test_the_cache_left_no_trace(host, proxy):
    needle = proxy.split("://", 1)[1].rstrip("/")
    login = host.ansible.get_variables().get("inception_login")
    with host.sudo():
        files = host.run("grep -rlsF %s /etc/apt /etc/environment /etc/docker /home/%s/inception", needle, login)
        images = host.run("for i in $(docker images -q | sort -u); do docker image inspect $i; "
                          "docker history --no-trunc $i; done | grep -cF %s", needle)
        containers = host.run("docker inspect $(docker ps -aq) | grep -cF %s", needle)
    assert files.stdout.strip() == "", "the apt cache %s is written in: %s" % (proxy, files.stdout.split())
    assert images.stdout.strip() == "0", "the apt cache %s is in an image's config or history" % proxy
    assert containers.stdout.strip() == "0", "the apt cache %s is in a container's config" % proxy
