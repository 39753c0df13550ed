"""The vm_host role on a fresh Debian 12 and 13 VM."""

import pytest

LOGIN = "marvin"


def test_domain_resolves_to_loopback(host):
    entry = host.run("getent hosts %s.42.fr", LOGIN)
    assert entry.rc == 0
    assert entry.stdout.split()[0] == "127.0.0.1"


def test_extra_hostname_resolves_to_loopback(host):
    assert host.run("getent hosts adminer.%s.42.fr", LOGIN).stdout.split()[0] == "127.0.0.1"


def test_login_user_exists_with_home(host):
    user = host.user(LOGIN)
    assert user.exists
    assert user.home == "/home/%s" % LOGIN
    assert host.file(user.home).is_directory


def test_data_root_belongs_to_login(host):
    root = host.file("/home/%s/data" % LOGIN)
    assert root.is_directory
    assert root.user == LOGIN
    assert root.mode == 0o755


@pytest.mark.parametrize(
    "name,uid,mode",
    [("wordpress", 33, 0o755), ("mariadb", 999, 0o750)],
)
def test_volume_directory_has_container_owner_and_mode(host, name, uid, mode):
    path = host.file("/home/%s/data/%s" % (LOGIN, name))
    assert path.is_directory
    assert path.uid == uid
    assert path.gid == uid
    assert path.mode == mode


@pytest.mark.parametrize("package", ["ca-certificates", "debootstrap", "python3-requests", "python3-docker", "make"])
def test_base_package_installed(host, package):
    assert host.package(package).is_installed


def test_hosts_block_is_written_once(host):
    content = host.file("/etc/hosts").content_string
    assert content.count("BEGIN inception: %s" % LOGIN) == 1
