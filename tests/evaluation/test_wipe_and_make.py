"""Evaluator's clean slate: wipe all of Docker, run `make`, find the same site with its content.

Destructive (needs --destructive): runs after test_site.py (files run in name order).
"""

import time
import uuid

import pytest

WIPE = (
    "docker stop $(docker ps -qa); docker rm $(docker ps -qa); "
    "docker rmi -f $(docker images -qa); docker volume rm $(docker volume ls -q); "
    "docker network rm $(docker network ls -q) 2>/dev/null; true"
)


def wait_for_front_page(host, site, needle, timeout=900):
    deadline = time.time() + timeout
    page = ""
    while time.time() < deadline:
        page = host.run("curl -ksS --max-time 10 %s", site.url).stdout
        if needle in page:
            return page
        time.sleep(5)
    return page


@pytest.mark.destructive
def test_clean_slate_then_make_brings_the_site_back_with_its_content(host, site, sql):
    marker = "persist-%s" % uuid.uuid4().hex[:8]
    assert sql("UPDATE wp_options SET option_value='%s' WHERE option_name='blogdescription'" % marker).rc == 0
    assert marker in wait_for_front_page(host, site, marker, timeout=60)

    with host.sudo():
        host.run(WIPE)
        assert host.check_output("docker ps -qa") == ""
        assert host.check_output("docker images -qa") == ""
        made = host.run("make -C %s", site.project)
    assert made.rc == 0, made.stdout[-2000:] + made.stderr[-2000:]

    page = wait_for_front_page(host, site, marker)
    assert marker in page
    assert site.title in page
    assert sql("SELECT COUNT(*) FROM wp_users").stdout.strip() == "2"
