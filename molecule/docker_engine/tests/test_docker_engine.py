"""The docker_engine role on a fresh Debian 12 VM, through Docker's repository (the
harness's imitation of it, served on the VM's loopback; see molecule.yml): Molecule
`docker_engine` on its own, and the `fleet` scenario's Debian 12 VM (where `make molecule`
runs them, to boot fewer VMs; DOCKER_ENGINE_HOSTS names it). The login is the host's
inventory `inception_login` (the `login` fixture, molecule/conftest.py)."""

import json
import os

import pytest

# The report's section in the fleet (see molecule/vm_host/tests/test_vm_host.py).
SECTION = "A role on fresh VMs: docker_engine through Docker's repository"
# testinfra's own per-module host list; unset: [None], testinfra's default (every host of
# the scenario's inventory, as Molecule runs it; None itself would not collect).
testinfra_hosts = os.environ.get("DOCKER_ENGINE_HOSTS", "").split() or [None]


REPO_URL = "http://127.0.0.1:8080/linux/debian"


def test_repository_is_a_signed_deb822_source(host):
    source = host.file("/etc/apt/sources.list.d/docker.sources")
    assert source.is_file
    text = source.content_string
    assert "URIs: %s" % REPO_URL in text
    assert "Suites: bookworm" in text and "Components: stable" in text
    signed_by = [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Signed-By:")]
    assert signed_by and host.file(signed_by[0]).is_file, "the source names no key file: %s" % text


def test_apt_took_the_signed_index_of_the_repository(host):
    """apt keeps a repository's index only when its Release signature checks out."""
    policy = host.check_output("apt-cache policy docker-ce")
    assert REPO_URL in policy, policy
    assert host.file("/var/lib/apt/lists/127.0.0.1:8080_linux_debian_dists_bookworm_InRelease").is_file


@pytest.mark.parametrize("package", ["docker-ce", "docker-ce-cli", "containerd.io", "docker-buildx-plugin", "docker-compose-plugin", "python3-debian"])
def test_package_installed(host, package):
    assert host.package(package).is_installed


@pytest.mark.parametrize("package", ["docker.io", "docker-compose"])
def test_debian_engine_packages_absent(host, package):
    assert not host.package(package).is_installed


@pytest.mark.parametrize("service", ["docker", "containerd"])
def test_service_active_and_enabled(host, service):
    svc = host.service(service)
    assert svc.is_running
    assert svc.is_enabled


def test_compose_is_v2_plugin(host):
    out = host.check_output("docker compose version --short")
    major, minor = (int(x) for x in out.lstrip("v").split(".")[:2])
    assert (major, minor) >= (2, 18)


def test_buildx_plugin_present(host):
    assert host.run("docker buildx version").rc == 0


def test_storage_driver_is_overlay2(host):
    assert host.check_output("docker info --format '{{.Driver}}'") == "overlay2"


def test_daemon_json_rotates_logs(host):
    config = json.loads(host.file("/etc/docker/daemon.json").content_string)
    assert config["log-driver"] == "json-file"
    assert config["log-opts"] == {"max-size": "10m", "max-file": "3"}


def test_login_user_in_docker_group(host, login):
    assert "docker" in host.user(login).groups


def test_login_user_can_reach_the_engine(host, login):
    assert host.run("runuser -u %s -- docker info --format '{{.ServerVersion}}'", login).rc == 0


BUILD_DIR = "/tmp/tiny-image"
DOCKERFILE = """FROM local/tinybase:1
COPY index.html /www/index.html
RUN ["busybox", "test", "-f", "/www/index.html"]
EXPOSE 8080
CMD ["busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]
"""


@pytest.fixture(scope="module")
def tiny_container(host):
    """Import a base from a static busybox, build on it, run it with a published port."""
    with host.sudo():
        host.check_output(
            "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends busybox-static"
        )
        host.check_output(
            "rm -rf %s && mkdir -p %s/rootfs/bin && cp /bin/busybox %s/rootfs/bin/busybox"
            " && echo inception-ok > %s/index.html"
            " && tar -C %s/rootfs -c . | docker import - local/tinybase:1",
            BUILD_DIR, BUILD_DIR, BUILD_DIR, BUILD_DIR, BUILD_DIR,
        )
        host.check_output("printf '%%s' %s > %s/Dockerfile", DOCKERFILE, BUILD_DIR)
        host.check_output("docker build -q -t local/tiny:1 %s", BUILD_DIR)
        host.run("docker rm -f tiny")
        host.check_output("docker run -d --name tiny -p 18080:8080 local/tiny:1")
    yield "tiny"
    with host.sudo():
        host.run("docker rm -f tiny; docker rmi local/tiny:1 local/tinybase:1")


def test_container_built_in_vm_answers_on_published_port(host, tiny_container):
    body = host.run(
        "for i in $(seq 1 30); do curl -fsS http://127.0.0.1:18080/ && exit 0; sleep 0.5; done; exit 1"
    )
    assert body.rc == 0, body.stderr
    assert body.stdout.strip() == "inception-ok"
