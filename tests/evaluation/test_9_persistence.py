"""Persistence: containers come back after a crash, the site after a reboot,
after a port change and back, and after the evaluator's clean-slate wipe + make,
with the content from before. All of it changes the stack: --destructive
(and --reboot for the reboot), and these checks run after all the others."""

import os
import subprocess
import sys
import time
import uuid

import pytest

from stack import BONUS, SERVICES, bonus_url, compose_services, curl_with_secret, fetch, wait_for_page, wait_until_healthy

SECTION = "9. Persistence"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WIPE = (
    "docker stop $(docker ps -qa); docker rm $(docker ps -qa); "
    "docker rmi -f $(docker images -qa); docker volume rm $(docker volume ls -q); "
    "docker network rm $(docker network ls -q) 2>/dev/null; true"
)


def state(host, name):
    out = host.run("docker inspect -f '{{.State.Pid}} {{.State.Health.Status}} {{.RestartCount}}' %s", name)
    pid, health, restarts = out.stdout.split()
    return int(pid), health, int(restarts)


def set_tagline(sql, host, site):
    """A marker in the site's tagline, shown on every page."""
    marker = "persist-%s" % uuid.uuid4().hex[:8]
    assert sql("UPDATE wp_options SET option_value='%s' WHERE option_name='blogdescription'" % marker).rc == 0
    if "redis" in compose_services(host, site):  # a write behind WordPress's back: drop its object cache
        host.run("docker exec redis sh -c 'REDISCLI_AUTH=$(cat /run/secrets/redis_password) redis-cli flushall'")
    assert marker in wait_for_page(host, site.url, marker, timeout=60)
    return marker


def all_healthy(host, site, timeout=300):
    """Every service of the compose file (bonus ones included) running and healthy."""
    return wait_until_healthy(host, site, compose_services(host, site), timeout=timeout)


def bonus_markers(host, site):
    """Data the bonus services keep, set before a reboot or a wipe: a file uploaded over
    FTPS (in the WordPress volume) and the time Prometheus has samples for."""
    services = compose_services(host, site)
    marker = {}
    if "ftp" in services:
        name = "persist-%s.txt" % uuid.uuid4().hex[:8]
        host.run("printf %%s %s > /tmp/%s", name, name)
        with host.sudo():
            user = host.check_output("sed -n 's/^FTP_USER=//p' %s/srcs/.env", site.project)
            up = host.run(curl_with_secret(user, site.secret_file("ftp_password"), [
                "-sS", "--ssl-reqd", "-k", "--ftp-create-dirs", "-T", "/tmp/" + name,
                "ftp://127.0.0.1/wp-content/uploads/inception-ftp/" + name]))
        assert up.rc == 0, "FTPS upload before the change failed: %s" % up.stderr
        marker["ftp"] = name
    if "monitoring" in services:
        marker["monitoring"] = time.time() - 5
    return marker


def check_bonus_markers(host, site, marker):
    if "ftp" in marker:
        url = site.url + "wp-content/uploads/inception-ftp/" + marker["ftp"]
        assert fetch(host, url).stdout == marker["ftp"], "the file uploaded over FTPS is gone"
    if "monitoring" in marker:
        with host.sudo():
            out = host.run(curl_with_secret("monitoring", site.secret_file("monitoring_password"), [
                "-ksS", bonus_url(site, "monitoring", "api/v1/query?query=up&time=%.0f" % marker["monitoring"])]))
        assert '"result":[{' in out.stdout.replace(" ", ""), "Prometheus lost its samples from before: %s" % out.stdout[:200]
    for name in ("website", "adminer"):
        if name in compose_services(host, site):
            assert host.run("curl -ksS -o /dev/null -w '%%{http_code}' %s", bonus_url(site, name)).stdout == "200", \
                "%s does not answer over HTTPS" % name


@pytest.mark.destructive
@pytest.mark.by_hand("sudo kill -KILL $(docker inspect -f '{{.State.Pid}}' {service}); watch docker ps")
@pytest.mark.parametrize("service", SERVICES + BONUS)
def test_killed_main_process_comes_back_healthy(host, site, service, figure):
    if service not in compose_services(host, site):
        pytest.skip("bonus service %s is not in the stack's compose file (inception_bonus)" % service)
    pid, health, restarts = state(host, service)
    assert health == "healthy" and pid > 0, "%s is %s before the crash" % (service, health)
    start = time.time()
    with host.sudo():
        assert host.run("kill -KILL %s", str(pid)).rc == 0
    new_pid, new_health, new_restarts = pid, health, restarts
    while time.time() < start + 180:
        new_pid, new_health, new_restarts = state(host, service)
        if new_restarts > restarts and new_health == "healthy":
            break
        time.sleep(0.5)
    seconds = time.time() - start
    figure("%s back healthy after SIGKILL (s)" % service, "%.1f" % seconds)
    assert new_restarts == restarts + 1, "%s was not restarted by its restart policy" % service
    assert new_health == "healthy", "%s not healthy %.0fs after the crash" % (service, seconds)
    assert new_pid != pid
    assert site.title in fetch(host, site.url).stdout


def run_site_yml(host, *extra):
    """Re-run the roles on this host (what a user does after changing a variable)."""
    inventory = getattr(host.backend, "ansible_inventory", None)
    if host.backend.NAME != "ansible" or not inventory:
        pytest.skip("changing a role variable needs the ansible backend and its inventory (--hosts=ansible://...)")
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
               os.path.join(REPO, "site.yml"), "-i", inventory, "--limit", host.backend.host] + list(extra)
    env = dict(os.environ, ANSIBLE_CONFIG=os.environ.get("ANSIBLE_CONFIG", os.path.join(REPO, "ansible.cfg")))
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    assert done.returncode == 0, "site.yml %s failed:\n%s" % (" ".join(extra), done.stdout[-3000:])
    return done.stdout


@pytest.mark.destructive
@pytest.mark.by_hand("ansible-playbook site.yml -e inception_project_https_port=8443; curl -k https://{domain}:8443/; ansible-playbook site.yml  # from the controller")
def test_https_port_changes_through_the_role_variable_and_back(host, site, figure):
    other = 8443 if site.https_port != 8443 else 9443
    moved = site._replace(https_port=other)
    try:
        run_site_yml(host, "-e", "inception_project_https_port=%d" % other)
        page = fetch(host, moved.url)
        old_port = host.run("curl -ksS --max-time 5 %s", site.url)
    finally:  # back to the inventory's port, whatever happened
        run_site_yml(host)
    figure("HTTPS port change", "%d -> %d -> %d" % (site.https_port, other, site.https_port))
    assert site.title in page.stdout, "the site is not served on port %d: %s" % (other, (page.stdout or page.stderr)[:200])
    assert old_port.rc == 7, "port %d still answered while the site was on %d" % (site.https_port, other)
    assert site.title in fetch(host, site.url).stdout, "the site is not back on port %d" % site.https_port


@pytest.mark.reboot
@pytest.mark.by_hand("sudo systemctl reboot; then: {compose} up -d && curl -ks {url}")
def test_reboot_then_compose_up_keeps_the_content(host, site, sql, figure):
    tagline = set_tagline(sql, host, site)
    marker = bonus_markers(host, site)
    with host.sudo():
        host.run("touch /run/inception-before-reboot")
        start = time.time()
        host.run("systemctl reboot")
    booted = False
    while time.time() < start + 600 and not booted:
        time.sleep(3)
        try:
            booted = host.run("test ! -e /run/inception-before-reboot && systemctl is-system-running").stdout.strip() \
                in ("running", "degraded")
        except Exception:  # the connection drops while the VM is down
            booted = False
    assert booted, "the VM did not come back within 10 minutes"
    with host.sudo():
        up = host.run("%s up -d" % site.compose)
    assert up.rc == 0, up.stderr[-1000:]
    states = all_healthy(host, site)
    figure("Reboot to healthy stack (s)", "%.0f" % (time.time() - start))
    assert all(s == ("running", "healthy") for s in states.values()), states
    assert tagline in wait_for_page(host, site.url, tagline, timeout=120), "the tagline set before the reboot is gone"
    check_bonus_markers(host, site, marker)


@pytest.mark.destructive
@pytest.mark.by_hand("sudo sh -c 'docker stop $(docker ps -qa); docker rm $(docker ps -qa); docker rmi -f $(docker images -qa); "
                     "docker volume rm $(docker volume ls -q); docker network rm $(docker network ls -q)'; sudo make -C {project}")
def test_clean_slate_then_make_brings_the_site_back_with_its_content(host, site, sql, figure):
    tagline = set_tagline(sql, host, site)
    marker = bonus_markers(host, site)
    with host.sudo():
        host.run(WIPE)
        assert host.check_output("docker ps -qa") == "", "containers left after the wipe"
        assert host.check_output("docker images -qa") == "", "images left after the wipe"
        start = time.time()
        made = host.run("make -C %s", site.project)
    assert made.rc == 0, made.stdout[-2000:] + made.stderr[-2000:]
    page = wait_for_page(host, site.url, tagline, timeout=900)
    figure("make after the clean slate, to the site (s)", "%.0f" % (time.time() - start))
    assert tagline in page, "the content from before the wipe is gone"
    assert site.title in page
    assert int(sql("SELECT COUNT(*) FROM wp_users").stdout.strip()) >= 2
    states = all_healthy(host, site)
    assert all(s == ("running", "healthy") for s in states.values()), states
    check_bonus_markers(host, site, marker)
