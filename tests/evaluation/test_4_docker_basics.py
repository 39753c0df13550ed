"""Docker basics: every mandatory service runs from its own image, named after
it, with an explicit tag, and docker compose reports it running and healthy."""

import pytest

import inception_rules
from stack import SERVICES, compose_states

SECTION = "4. Docker basics"


@pytest.mark.by_hand("{compose} ps --all")
def test_all_services_running_and_healthy(host, site):
    states = compose_states(host, site)
    assert {s: states.get(s) for s in SERVICES} == {s: ("running", "healthy") for s in SERVICES}


@pytest.mark.by_hand("docker inspect -f '{{.Config.Image}}' {service}")
@pytest.mark.parametrize("service", SERVICES)
def test_container_runs_the_image_named_after_its_service(host, service):
    image = host.run("docker inspect -f '{{.Config.Image}}' %s", service)
    assert image.rc == 0, "no container named %s" % service
    repo, _, tag = image.stdout.strip().partition(":")
    assert repo == service, "container %s runs image %s" % (service, image.stdout.strip())
    assert tag and tag != "latest", "image %s has no explicit tag (or latest)" % image.stdout.strip()


@pytest.mark.by_hand("docker exec {service} cat /etc/os-release")
@pytest.mark.parametrize("service", SERVICES)
def test_container_runs_on_the_penultimate_stable_release(host, service):
    os_release = host.run("docker exec %s cat /etc/os-release", service).stdout
    assert "VERSION_CODENAME=%s" % inception_rules.PENULTIMATE_DEBIAN in os_release or \
        "VERSION_ID=%s." % inception_rules.PENULTIMATE_ALPINE in os_release, \
        "%s does not run on the penultimate stable Debian/Alpine: %s" % (
            service, [line for line in os_release.splitlines() if line.startswith("PRETTY_NAME")])


@pytest.mark.by_hand("docker inspect -f '{{.HostConfig.RestartPolicy.Name}}' {service}")
@pytest.mark.parametrize("service", SERVICES)
def test_restarts_on_crash(host, service):
    policy = host.check_output("docker inspect -f '{{.HostConfig.RestartPolicy.Name}}' %s", service)
    assert policy in ("always", "unless-stopped", "on-failure"), "%s restart policy is %r" % (service, policy)
