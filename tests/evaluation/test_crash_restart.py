"""Containers restart on crash: SIGKILL each service's main process, see it healthy again.

Destructive (needs --destructive). Seconds to recover are printed (pytest -s / -rA).
"""

import time

import pytest

SERVICES = ("mariadb", "wordpress", "nginx")


def state(host, name):
    out = host.run("docker inspect -f '{{.State.Pid}} {{.State.Health.Status}} {{.RestartCount}}' %s", name)
    pid, health, restarts = out.stdout.split()
    return int(pid), health, int(restarts)


@pytest.mark.destructive
@pytest.mark.parametrize("service", SERVICES)
def test_killed_main_process_comes_back_healthy(host, site, service):
    pid, health, restarts = state(host, service)
    assert health == "healthy" and pid > 0
    start = time.time()
    with host.sudo():
        assert host.run("kill -KILL %s", str(pid)).rc == 0
    deadline = start + 180
    while time.time() < deadline:
        new_pid, health, new_restarts = state(host, service)
        if new_restarts > restarts and health == "healthy":
            break
        time.sleep(1)
    seconds = time.time() - start
    print("%s recovered in %.1fs" % (service, seconds))
    assert new_restarts == restarts + 1, "%s was not restarted by its restart policy" % service
    assert health == "healthy", "%s not healthy %.0fs after the crash" % (service, seconds)
    assert new_pid != pid
    page = host.run("curl -ksS --max-time 20 %s", site.url)
    assert site.title in page.stdout
