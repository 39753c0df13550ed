"""The vm_host role on a fresh Debian 12 and 13 VM: Molecule `vm_host` on its own, and the
`fleet` scenario's two VMs (where `make molecule` runs them, to boot fewer VMs). The login
is each host's inventory `inception_login` (the `login` fixture, molecule/conftest.py)."""

import pytest

# The report's section when these run with the evaluation suite (fleet); such sections
# sort by name after the scale's, so these come before the fleet's own destructive checks.
SECTION = "A role on fresh VMs: vm_host"


def test_domain_resolves_to_loopback(host, login):
    entry = host.run("getent hosts %s.42.fr", login)
    assert entry.rc == 0
    assert entry.stdout.split()[0] == "127.0.0.1"


def test_extra_hostname_resolves_to_loopback(host, login):
    assert host.run("getent hosts adminer.%s.42.fr", login).stdout.split()[0] == "127.0.0.1"


def test_login_user_exists_with_home(host, login):
    user = host.user(login)
    assert user.exists
    assert user.home == "/home/%s" % login
    assert host.file(user.home).is_directory


def test_data_root_belongs_to_login(host, login):
    root = host.file("/home/%s/data" % login)
    assert root.is_directory
    assert root.user == login
    assert root.mode == 0o755


@pytest.mark.parametrize(
    "name,uid,mode",
    [("wordpress", 0, 0o755), ("mariadb", 999, 0o750)],
)
def test_volume_directory_has_container_owner_and_mode(host, login, name, uid, mode):
    path = host.file("/home/%s/data/%s" % (login, name))
    assert path.is_directory
    assert path.uid == uid
    assert path.gid == uid
    assert path.mode == mode


@pytest.mark.parametrize("package", ["ca-certificates", "debootstrap", "python3-requests", "python3-docker", "make"])
def test_base_package_installed(host, package):
    assert host.package(package).is_installed


def test_hosts_block_is_written_once(host, login):
    content = host.file("/etc/hosts").content_string
    assert content.count("BEGIN inception: %s" % login) == 1
