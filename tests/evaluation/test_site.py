"""The mandatory Inception stack works (run by Molecule `default` and playbooks/verify.yml)."""

import json
import re

import pytest
from stack import fetch

SERVICES = ("nginx", "wordpress", "mariadb")


def test_domain_resolves_to_loopback(host, site):
    assert host.run("getent hosts %s", site.domain).stdout.split()[0] == "127.0.0.1"


def test_front_page_by_name_is_the_installed_site(host, site):
    page = fetch(host, site.url)
    assert page.rc == 0, page.stderr
    assert site.title in page.stdout
    assert "wp-admin/install.php" not in page.stdout


def test_install_page_says_already_installed(host, site):
    assert "Already Installed" in fetch(host, site.url + "wp-admin/install.php").stdout


def test_http_port_80_refuses_connections(host, site):
    result = host.run("curl -sS --max-time 5 http://%s/", site.domain)
    assert result.rc == 7, "port 80 answered: %s" % (result.stdout or result.stderr)


def handshake(host, site, version):
    return host.run("echo | openssl s_client -connect 127.0.0.1:%s -servername %s -%s",
                    str(site.https_port), site.domain, version)


@pytest.mark.parametrize("version", ["tls1_2", "tls1_3"])
def test_tls_version_accepted(host, site, version):
    out = handshake(host, site, version)
    assert out.rc == 0, out.stderr
    assert re.search(r"Protocol\s*:\s*TLSv1\.[23]", out.stdout)


@pytest.mark.parametrize("version", ["tls1", "tls1_1"])
def test_old_tls_version_refused(host, site, version):
    assert handshake(host, site, version).rc != 0


def test_certificate_names_the_domain(host, site):
    out = host.check_output(
        "echo | openssl s_client -connect 127.0.0.1:%s -servername %s 2>/dev/null | openssl x509 -noout -ext subjectAltName",
        str(site.https_port), site.domain)
    assert "DNS:%s" % site.domain in out


def test_all_services_running_and_healthy(host, site):
    rows = [json.loads(line) for line in host.check_output("%s ps --format json" % site.compose).splitlines() if line.strip()]
    if len(rows) == 1 and isinstance(rows[0], list):
        rows = rows[0]
    states = {row["Service"]: (row["State"], row.get("Health")) for row in rows}
    assert {s: states.get(s) for s in SERVICES} == {s: ("running", "healthy") for s in SERVICES}


def test_only_nginx_publishes_and_only_443(host, site):
    out = host.check_output("docker ps --format '{{.Names}} {{.Ports}}'")
    published = dict((line.split(" ", 1) + [""])[:2] for line in out.splitlines())
    assert "0.0.0.0:%d->443/tcp" % site.https_port in published["nginx"]
    assert "->" not in published.get("wordpress", "")
    assert "->" not in published.get("mariadb", "")


@pytest.mark.parametrize("volume", ["wordpress", "mariadb"])
def test_volume_data_lives_under_home_login_data(host, site, volume):
    info = json.loads(host.check_output("docker volume inspect %s", volume))[0]
    assert info["Options"]["device"] == "%s/%s" % (site.data_dir, volume)
    assert host.file("%s/%s" % (site.data_dir, volume)).listdir()


def test_network_declared(host):
    assert "inception" in host.check_output("docker network ls --format '{{.Name}}'").split()


def test_wp_users_has_two_rows(sql):
    out = sql("SELECT COUNT(*) FROM wp_users")
    assert out.rc == 0, out.stderr
    assert out.stdout.strip() == "2"


def test_administrator_name_has_no_admin(sql):
    out = sql(
        "SELECT u.user_login FROM wp_users u JOIN wp_usermeta m ON m.user_id=u.ID "
        "WHERE m.meta_key='wp_capabilities' AND m.meta_value LIKE '%administrator%'")
    admins = out.stdout.split()
    assert len(admins) == 1
    assert "admin" not in admins[0].lower()


def test_mariadb_root_without_password_is_refused(host):
    out = host.run("docker exec mariadb mariadb -uroot -e 'SELECT 1'")
    assert out.rc != 0
    assert "Access denied" in out.stderr


def test_secrets_are_root_only_files(host, site):
    for name in ("db_password", "db_root_password", "wp_admin_password", "wp_user_password"):
        f = host.file("%s/secrets/%s.txt" % (site.project, name))
        assert f.mode == 0o600 and f.user == "root"


def test_no_secret_in_container_inspect_output(host, site):
    with host.sudo():
        secret = host.check_output("cat %s/secrets/db_root_password.txt" % site.project)
    for name in SERVICES:
        assert secret not in host.check_output("docker inspect %s", name)


def test_images_named_after_services_with_explicit_tag(host):
    for line in host.check_output("docker ps --format '{{.Names}} {{.Image}}'").splitlines():
        name, image = line.split()
        repo, _, tag = image.partition(":")
        assert repo == name and tag and tag != "latest"
