"""site.yml on a fresh Debian 13 VM: the mandatory Inception stack works."""

import json
import re

import pytest
from stack import DOMAIN, LOGIN, PROJECT, fetch

COMPOSE = "docker compose -f %s/srcs/docker-compose.yml" % PROJECT
TITLE = "Inception of marvin"


def test_domain_resolves_to_loopback(host):
    assert host.run("getent hosts %s", DOMAIN).stdout.split()[0] == "127.0.0.1"


def test_front_page_by_name_is_the_installed_site(host):
    page = fetch(host, "https://%s/" % DOMAIN)
    assert page.rc == 0, page.stderr
    assert TITLE in page.stdout
    assert "wp-admin/install.php" not in page.stdout


def test_install_page_says_already_installed(host):
    page = fetch(host, "https://%s/wp-admin/install.php" % DOMAIN)
    assert "Already Installed" in page.stdout


def test_http_port_80_refuses_connections(host):
    result = host.run("curl -sS --max-time 5 http://%s/", DOMAIN)
    assert result.rc == 7  # couldn't connect


@pytest.mark.parametrize("version", ["tls1_2", "tls1_3"])
def test_tls_version_accepted(host, version):
    out = host.run("echo | openssl s_client -connect 127.0.0.1:443 -servername %s -%s", DOMAIN, version)
    assert out.rc == 0, out.stderr
    assert re.search(r"Protocol\s*:\s*TLSv1\.[23]", out.stdout)


@pytest.mark.parametrize("version", ["tls1", "tls1_1"])
def test_old_tls_version_refused(host, version):
    out = host.run("echo | openssl s_client -connect 127.0.0.1:443 -servername %s -%s", DOMAIN, version)
    assert out.rc != 0


def test_certificate_names_the_domain(host):
    out = host.check_output(
        "echo | openssl s_client -connect 127.0.0.1:443 -servername %s 2>/dev/null | openssl x509 -noout -ext subjectAltName",
        DOMAIN)
    assert "DNS:%s" % DOMAIN in out


def test_all_services_running_and_healthy(host):
    rows = [json.loads(line) for line in host.check_output("%s ps --format json" % COMPOSE).splitlines() if line.strip()]
    if len(rows) == 1 and isinstance(rows[0], list):
        rows = rows[0]
    states = {row["Service"]: (row["State"], row.get("Health")) for row in rows}
    assert states == {s: ("running", "healthy") for s in ("nginx", "wordpress", "mariadb")}


def test_only_nginx_publishes_and_only_443(host):
    out = host.check_output("docker ps --format '{{.Names}} {{.Ports}}'")
    published = {line.split(" ", 1)[0]: line.split(" ", 1)[1] if " " in line else "" for line in out.splitlines()}
    assert "0.0.0.0:443->443/tcp" in published["nginx"]
    assert "->" not in published.get("wordpress", "")
    assert "->" not in published.get("mariadb", "")


@pytest.mark.parametrize("volume", ["wordpress", "mariadb"])
def test_volume_data_lives_under_home_login_data(host, volume):
    info = json.loads(host.check_output("docker volume inspect %s", volume))[0]
    assert info["Options"]["device"] == "/home/%s/data/%s" % (LOGIN, volume)
    assert host.file("/home/%s/data/%s" % (LOGIN, volume)).listdir()


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
    assert admins == ["marvin_chief"]
    assert all("admin" not in name.lower() for name in admins)


def test_mariadb_root_without_password_is_refused(host):
    out = host.run("docker exec mariadb mariadb -uroot -e 'SELECT 1'")
    assert out.rc != 0
    assert "Access denied" in out.stderr


def test_secrets_are_root_only_files(host):
    for name in ("db_password", "db_root_password", "wp_admin_password", "wp_user_password"):
        f = host.file("%s/secrets/%s.txt" % (PROJECT, name))
        assert f.mode == 0o600 and f.user == "root"


def test_no_secret_in_container_environment(host):
    secret = host.check_output("cat %s/secrets/db_root_password.txt" % PROJECT)
    for name in ("nginx", "wordpress", "mariadb"):
        assert secret not in host.check_output("docker inspect %s", name)


def test_images_named_after_services_with_explicit_tag(host):
    images = host.check_output("docker ps --format '{{.Names}} {{.Image}}'").splitlines()
    for line in images:
        name, image = line.split()
        assert image == "%s:1.0" % name
