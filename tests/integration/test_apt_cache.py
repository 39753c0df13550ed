"""The harness's apt cache (inception_apt_proxy, given by tools/vm/apt_proxy.py as
INCEPTION_APT_PROXY): the VM's apt and the image builds inside it fetch their packages
through apt-cacher-ng on the controller, and the cache leaves no trace on the VM, in the
rendered project, in any image or container.

These run after the suite's destructive checks, whose clean slate rebuilt every image with
the project's own `make` (no cache): so the image check rebuilds one image through the
role, with the cache, and reads only the cache's log lines written since."""

import json
import os
import subprocess
import time

import pytest

SECTION = "Harness: the apt cache on the controller"
LOG = "/var/log/apt-cacher-ng/apt-cacher.log"
# Installed on the VM itself by vm_host and docker_engine.
ON_THE_VM = ("docker.io", "docker-ce", "curl")


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
def vm(host):
    """The VM's addresses on the controller's Docker network (the clients apt-cacher-ng
    logs) and when it was created (its log lines come after)."""
    out = subprocess.run(["docker", "inspect", host.backend.host], capture_output=True, text=True, check=True).stdout
    info = json.loads(out)[0]
    addresses = {n["IPAddress"] for n in info["NetworkSettings"]["Networks"].values() if n.get("IPAddress")}
    created = subprocess.run(["date", "-d", info["Created"], "+%s"], capture_output=True, text=True, check=True)
    return addresses, int(created.stdout)


def fetched_by(addresses, since):
    """Package names apt-cacher-ng served to these clients since then (time|kind|size|client|path)."""
    assert os.access(LOG, os.R_OK), "cannot read apt-cacher-ng's log %s (run as root)" % LOG
    names = set()
    with open(LOG, encoding="utf-8", errors="replace") as log:
        for line in log:
            fields = line.rstrip("\n").split("|")
            if len(fields) >= 5 and fields[0].isdigit() and int(fields[0]) >= since and fields[3] in addresses \
                    and fields[4].endswith(".deb"):
                names.add(os.path.basename(fields[4]).split("_")[0])
    return names


def test_the_vm_own_apt_fetched_through_the_cache(proxy, vm):
    addresses, created = vm
    names = fetched_by(addresses, created)
    assert names & set(ON_THE_VM), "the VM's own apt did not go through %s: it fetched %s" % (proxy, sorted(names)[:20])


def test_an_image_rebuilt_by_the_role_fetches_through_the_cache_and_keeps_no_trace(playbook, host, proxy, vm):
    addresses, _ = vm
    needle = proxy.split("://", 1)[1].rstrip("/")
    with host.sudo():
        image = host.check_output("docker inspect -f '{{.Config.Image}}' nginx")
        # No image and no build cache: the role must build nginx again, from Debian's packages.
        host.check_output("docker image rm -f %s && docker builder prune -af >/dev/null", image)
    since = int(time.time()) - 1
    rc, out, recap = playbook("site.yml", "--tags", "inception_stack:up")
    assert rc == 0 and recap[host.backend.host]["changed"] > 0, "the role did not rebuild %s:\n%s" % (image, out[-3000:])
    names = fetched_by(addresses, since)
    assert "nginx" in names, "the rebuild of %s did not go through %s: it fetched %s" % (image, proxy, sorted(names))
    login = host.ansible.get_variables().get("inception_login")
    with host.sudo():
        files = host.run("grep -rlsF %s /etc/apt /etc/environment /etc/docker /home/%s/inception", needle, login)
        images = host.run("for i in $(docker images -q | sort -u); do docker image inspect $i; "
                          "docker history --no-trunc $i; done | grep -cF %s", needle)
        containers = host.run("docker inspect $(docker ps -aq) | grep -cF %s", needle)
        rebuilt = host.run("docker image inspect %s >/dev/null && docker history --no-trunc %s | grep -c apt-get", image, image)
    assert rebuilt.stdout.strip() not in ("", "0"), "no rebuilt %s to look into" % image
    assert files.stdout.strip() == "", "the apt cache %s is written in: %s" % (proxy, files.stdout.split())
    assert images.stdout.strip() == "0", "the apt cache %s is in an image's config or history" % proxy
    assert containers.stdout.strip() == "0", "the apt cache %s is in a container's config" % proxy
