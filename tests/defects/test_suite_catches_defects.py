"""The evaluation suite catches broken stacks.

Breaks a deployed stack in one way at a time (as a student's repository might
be broken), runs the whole non-destructive evaluation suite against it in a
child pytest, and asserts that exactly the expected checks fail, each with the
expected message; then repairs the stack. Runs in Molecule `default` after the
suite itself (tests/evaluation), on the same VM, or by hand against a
disposable VM:

    pytest tests/defects --hosts=ansible://HOST --ansible-inventory=INVENTORY
"""

import base64
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import namedtuple

import pytest
import yaml

SECTION = "Self-check: the suite catches broken stacks"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "evaluation"))
from stack import BONUS, EXPORTERS, Site, mariadb_query, wait_until_healthy  # noqa: E402
PRISTINE = "/var/tmp/inception-pristine"
pytestmark = pytest.mark.destructive

# how: "files" (static change only), "up" (make: rebuild + up), "recreate"
# (compose down + volumes removed, then make). expect: {check: message regex}.
# per_bonus: {check with %s for each bonus container of the stack: message regex}.
Defect = namedtuple("Defect", "how expect steps per_bonus", defaults=({},))


# The compose edits: each changes the parsed compose file in place.
def without_networks(compose):
    compose.pop("networks", None)
    for service in compose["services"].values():
        service.pop("networks", None)


def with_port_80(compose):
    compose["services"]["nginx"]["ports"].append("80:80")


def with_wordpress_volume_in_srv(compose):
    compose["volumes"]["wordpress"]["driver_opts"]["device"] = "/srv/wordpress"


def published(service, port):
    """The compose change that publishes service's port on the VM. A port of a container on
    internal networks only is published nowhere, so the service also joins the project's
    own network, as a student who publishes it would have it."""
    def change(compose):
        entry = compose["services"][service]
        entry["ports"] = ["%d:%d" % (port, port)]
        networks = entry.get("networks")
        if isinstance(networks, list) and "inception" in (compose.get("networks") or {}) and "inception" not in networks:
            networks.append("inception")
    return change


def with_website_as_root(compose):
    compose["services"]["website"]["user"] = "0:0"


COMPOSE = "srcs/docker-compose.yml"
VSFTPD_CONF = "srcs/requirements/bonus/ftp/conf/vsftpd.conf"
NGINX_CONF = "srcs/requirements/nginx/conf/inception.conf"
ENTRYPOINT = "srcs/requirements/wordpress/tools/entrypoint.sh"
# php-fpm without its second fence (listen.allowed_clients: nginx's fixed address alone).
WITHOUT_FPM_FENCE = ("sed", "srcs/requirements/wordpress/conf/www.conf", r"/^listen\.allowed_clients/d")

DEFECTS = {
    "tls1_1_enabled": Defect(
        "up", {
            "test_old_tls_version_refused[tls1_1]": r"TLSv1\.1 handshake succeeded",
            "test_project_follows_rule[nginx-tls]": r"inception\.conf:\d+: \[nginx-tls\] .*TLSv1\.1"},
        [("sed", NGINX_CONF, r"s/^\(\s*ssl_protocols\).*/\1 TLSv1.1 TLSv1.2 TLSv1.3;/;"
                             r"s/^\(\s*ssl_ciphers\).*/\1 DEFAULT:@SECLEVEL=0;/")]),
    "tail_f_in_entrypoint": Defect(
        "files", {
            "test_project_follows_rule[keepalive]": r"entrypoint\.sh:\d+: \[keepalive\] .*tail -f"},
        [("sh", "printf 'tail -f /dev/null\\n' >> %s" % ENTRYPOINT)]),
    "admin_named_admin42": Defect(
        "files", {
            "test_administrator_name_has_no_admin": r"administrator name contains admin: admin42",
            "test_project_follows_rule[admin-name]": r"admin42"},
        [("sed", "srcs/.env", r"s/^WP_ADMIN_USER=.*/WP_ADMIN_USER=admin42/"), ("rename-admin", "admin42")]),
    "volume_outside_data_dir": Defect(
        "recreate", {
            "test_wordpress_volume_lives_under_home_login_data": r"volume wordpress is at /srv/wordpress, not under /home/\w+/data/",
            "test_project_follows_rule[volume-path]": r"/srv/wordpress"},
        [("sh", "mkdir -p /srv/wordpress && cp -a $DATA/wordpress/. /srv/wordpress/"),
         ("compose", with_wordpress_volume_in_srv)]),
    "port_80_published": Defect(
        "up", {
            "test_http_port_80_refuses_connections": r"port 80 answered",
            "test_only_nginx_publishes_and_only_the_https_port": r"nginx publishes .*'80'",
            "test_project_follows_rule[ports]": r"80"},
        [("compose", with_port_80)]),
    "network_missing": Defect(
        "recreate", {
            "test_project_network_is_listed": r"no network named inception",
            "test_every_service_is_on_the_project_network": r"services not on the inception network",
            "test_project_follows_rule[networks]": r"network",
            # without its networks the stack is on compose's default bridge, which the VM reaches
            "test_port_unreachable_from_the_vm[mariadb-3306]": r"port 3306 answers on the VM at",
            "test_port_unreachable_from_the_vm[wordpress-9000]": r"port 9000 answers on the VM at",
            # nor has it the fences of fixed addresses (as a student's stack without networks)
            "test_php_fpm_serves_fastcgi_to_nginx_alone": r"php-fpm serves FastCGI to a client other than nginx",
            "test_database_accounts_are_scoped_to_their_network": r"accounts wider than a host or their network: .*@%"},
        [("compose", without_networks),
         WITHOUT_FPM_FENCE,
         ("sed", "srcs/requirements/mariadb/tools/entrypoint.sh", r"s/^DB_NETWORK=.*/DB_NETWORK=%/")],
        {"test_bonus_container_built_named_healthy_restarting_on_the_network[%s]": r"not on the inception network"}),
    # Security (tests/evaluation/test_11_security.py): what each variant breaks on the hardened
    # stack; a stack without the hardening fails those checks already, intact.
    "fastcgi_published": Defect(
        "up", {
            "test_port_unreachable_from_the_vm[wordpress-9000]": r"port 9000 answers on the VM at .*127\.0\.0\.1:9000",
            "test_only_nginx_publishes_and_only_the_https_port": r"mandatory services publish ports besides nginx: .*wordpress",
            "test_only_nginx_and_ftp_publish_ports": r"wordpress",
            "test_project_follows_rule[ports]": r"9000",
            # a student who publishes FastCGI has no allowed_clients fence either (with it,
            # nginx reaching wordpress over the project network would be refused: 502)
            "test_php_fpm_serves_fastcgi_to_nginx_alone": r"php-fpm serves FastCGI to a client other than nginx"},
        [("compose", published("wordpress", 9000)), WITHOUT_FPM_FENCE]),
    "php_run_in_uploads": Defect(
        "up", {
            "test_php_under_uploads_is_not_run": r"PHP under wp-content/uploads/ is run"},
        [("sed", NGINX_CONF, r"/location.*wp-content\/uploads\/\.\*/,/}/d")]),
    # Bonus variants (the stack must run the bonus service; skipped otherwise).
    "website_as_root": Defect(
        "up", {
            "test_no_root_process_where_none_is_needed": r"root processes in containers that must run as a user: website "},
        [("needs", "website"), ("compose", with_website_as_root)]),
    "redis_published": Defect(
        "up", {
            "test_redis_is_capped_lru_and_not_reachable_from_the_vm": r"6379 answers on the VM",
            "test_only_nginx_and_ftp_publish_ports": r"redis",
            "test_project_follows_rule[ports]": r"6379"},
        [("needs", "redis"), ("compose", published("redis", 6379))]),
    "ftp_without_tls": Defect(
        "up", {
            "test_ftp_plain_text_login_is_refused": r"plain-text FTP login was accepted",
            "test_ftps_login_lists_the_wordpress_files": r"FTPS login failed",
            "test_file_uploaded_over_ftps_is_served_by_nginx": r"FTPS upload failed",
            "test_ftp_account_cannot_download_wp_config_but_can_the_uploads": r"FTPS upload under uploads failed"},
        [("needs", "ftp"), ("sed", VSFTPD_CONF, r"s/^\(ssl_enable\|force_local_logins_ssl\|force_local_data_ssl\)=YES/\1=NO/")]),
}


class Stack:
    """The deployed project on the VM, and how to break and repair it."""

    def __init__(self, host):
        self.host = host
        variables = host.ansible.get_variables()
        self.login = variables["inception_login"]
        self.project = "/home/%s/inception" % self.login
        self.data = "/home/%s/data" % self.login
        self.site = Site(self.login, "%s.42.fr" % self.login, self.project, 443, "")
        self.admin_before = self.admin()

    def sh(self, command):
        with self.host.sudo():
            out = self.host.run("cd %s && DATA=%s && %s" % (self.project, self.data, command))
        assert out.rc == 0, "%s: %s" % (command, (out.stdout + out.stderr)[-1500:])
        return out.stdout

    def write(self, path, text):
        self.sh("printf %%s %s | base64 -d > %s" % (base64.b64encode(text.encode()).decode(), path))

    def admin(self):
        return self.sh("sed -n 's/^WP_ADMIN_USER=//p' srcs/.env").strip()

    def rename_admin(self, old, new):
        out = mariadb_query(self.host, "UPDATE wp_users SET user_login='%s' WHERE user_login='%s'" % (new, old))
        assert out.rc == 0, out.stderr

    def services(self):
        return self.sh("docker compose -f %s config --services" % COMPOSE).split()

    def apply(self, steps):
        for step in steps:
            kind = step[0]
            if kind == "needs":
                continue
            if kind == "sed":
                self.sh("sed -i '%s' %s" % (step[2], step[1]))
            elif kind == "sh":
                self.sh(step[1])
            elif kind == "compose":
                compose = yaml.safe_load(self.host.file("%s/%s" % (self.project, COMPOSE)).content_string)
                step[1](compose)
                self.write(COMPOSE, yaml.safe_dump(compose, sort_keys=False))
            elif kind == "rename-admin":
                self.rename_admin(self.admin_before, step[1])

    def down(self):
        self.sh("docker compose -f %s down && docker volume rm wordpress mariadb" % COMPOSE)

    def make(self):
        self.sh("make")
        states = wait_until_healthy(self.host, self.site, self.services())
        assert all(state == ("running", "healthy") for state in states.values()), \
            "the stack is not healthy after make: %s" % states


def run_suite(host, tmp_path, name):
    """The evaluation suite against this host, in a child pytest: {check: message} of the failures."""
    junit = tmp_path / ("%s.xml" % name)
    host_id = "ansible://%s" % host.backend.host
    # testssl.sh's grading (two minutes a run) is left to the suite's own run: no variant breaks it.
    command = [sys.executable, "-m", "pytest", os.path.join(REPO, "tests", "evaluation"), "-p", "no:cacheprovider",
               "-q", "-k", "not testssl", "--hosts=" + host_id,
               "--ansible-inventory=%s" % host.backend.ansible_inventory, "--junitxml=%s" % junit]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    assert junit.exists(), "the suite did not run: %s" % (done.stdout + done.stderr)[-2000:]
    failures = {}
    for case in ET.parse(junit).iter("testcase"):
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is not None:
            check = case.get("name").replace("[%s-" % host_id, "[").replace("[%s]" % host_id, "")
            failures[check] = problem.get("message", "")
    print("%s: %d failing: %s" % (name, len(failures), sorted(failures)))
    return failures


@pytest.fixture(scope="module")
def stack(host):
    stack = Stack(host)
    stack.sh("rm -rf %s && cp -a . %s" % (PRISTINE, PRISTINE))
    yield stack
    stack.sh("rm -rf %s" % PRISTINE)


def test_suite_passes_on_the_intact_stack(host, stack, tmp_path):
    assert run_suite(host, tmp_path, "intact") == {}


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_suite_fails_with_the_right_checks(host, stack, tmp_path, defect):
    spec = DEFECTS[defect]
    missing = [step[1] for step in spec.steps if step[0] == "needs" and step[1] not in stack.services()]
    if missing:
        pytest.skip("bonus service %s is not in this stack (inception_bonus)" % ", ".join(missing))
    if spec.how == "recreate":
        stack.down()
    try:
        stack.apply(spec.steps)
        if spec.how != "files":
            stack.make()
        failures = run_suite(host, tmp_path, defect)
    finally:
        if spec.how == "recreate":
            stack.down()
        stack.sh("cp -a %s/. . && rm -rf /srv/wordpress" % PRISTINE)
        if defect == "admin_named_admin42":
            stack.rename_admin("admin42", stack.admin_before)
        if spec.how != "files":
            stack.make()
    expect = dict(spec.expect)
    for service in set(stack.services()) & set(BONUS + EXPORTERS):
        expect.update({check % service: pattern for check, pattern in spec.per_bonus.items()})
    unexpected = {check: message[:300] for check, message in failures.items() if check not in expect}
    assert sorted(failures) == sorted(expect), "checks failing for %s; not expected: %s; expected but passing: %s" % (
        defect, unexpected, sorted(set(expect) - set(failures)))
    wrong = {check: failures[check] for check, pattern in expect.items() if not re.search(pattern, failures[check])}
    assert not wrong, "unexpected messages: %s" % wrong
