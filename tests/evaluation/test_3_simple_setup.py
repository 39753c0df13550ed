"""Simple setup: https://<login>.42.fr serves the installed site, nothing on port 80,
only nginx is reachable and only on the HTTPS port."""

import re

import pytest

from stack import fetch

SECTION = "3. Simple setup"


@pytest.mark.by_hand("getent hosts {domain}; hostname -I")
def test_domain_resolves_to_the_vm_itself(host, site):
    entry = host.run("getent hosts %s", site.domain)
    assert entry.rc == 0, "%s does not resolve on the VM" % site.domain
    assert entry.stdout.split()[0] in ("127.0.0.1", "::1") or entry.stdout.split()[0] in \
        host.check_output("hostname -I").split(), "%s resolves to %s" % (site.domain, entry.stdout.split()[0])


@pytest.mark.by_hand("curl -ksS {url} | grep -o '<title>.*</title>'")
def test_front_page_by_name_is_the_installed_site(host, site, screenshot):
    screenshot.page("The front page", site.url)
    page = fetch(host, site.url)
    assert page.rc == 0, page.stderr
    assert "wp-admin/install.php" not in page.stdout, "the front page is WordPress's installer"
    title = re.search(r"<title>(.*?)</title>", page.stdout, re.S)
    assert site.title in page.stdout, "front page title is %r, not the configured %r" % (
        title.group(1).strip() if title else None, site.title)


@pytest.mark.by_hand("curl -ksS {url}wp-admin/install.php | grep -o 'Already Installed'")
def test_install_page_says_already_installed(host, site, screenshot):
    screenshot.page('The install page answering "Already Installed"', site.url + "wp-admin/install.php")
    assert "Already Installed" in fetch(host, site.url + "wp-admin/install.php").stdout


@pytest.mark.by_hand("curl -sS --max-time 5 http://{domain}/  # must say: Connection refused")
def test_http_port_80_refuses_connections(host, site):
    result = host.run("curl -sS --max-time 5 http://%s/", site.domain)
    assert result.rc == 7, "port 80 answered (curl exit %d): %s" % (result.rc, (result.stdout or result.stderr).strip()[:200])


@pytest.mark.by_hand("docker ps --format '{{.Names}}\t{{.Ports}}'")
def test_only_nginx_publishes_and_only_the_https_port(host, site, figure):
    published = {}
    for line in host.check_output("docker ps --format '{{.Names}}\t{{.Ports}}'").splitlines():
        name, _, ports = line.partition("\t")
        published[name] = sorted(set(re.findall(r":(\d+)->(\d+/\w+)", ports)))
    figure("Published ports", ", ".join("%s %s" % (n, " ".join("%s->%s" % p for p in ports))
                                        for n, ports in sorted(published.items()) if ports) or "none")
    assert published.get("nginx") == [(str(site.https_port), "443/tcp")], \
        "nginx publishes %s, expected only %d->443/tcp" % (published.get("nginx"), site.https_port)
    others = {name: published.get(name) for name in ("wordpress", "mariadb") if published.get(name)}
    assert not others, "mandatory services publish ports besides nginx: %s" % others
