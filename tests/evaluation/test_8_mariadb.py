"""MariaDB and its volume: the app user logs in and sees WordPress's tables;
root without a password is refused; the port is not reachable from the VM."""

import pytest

from stack import volume_device

SECTION = "8. MariaDB and its volume"


@pytest.mark.by_hand("docker volume inspect mariadb; sudo ls /home/{login}/data/mariadb/mysql")
def test_mariadb_volume_lives_under_home_login_data(host, site):
    device = volume_device(host, "mariadb")
    assert device == "%s/mariadb" % site.data_dir, "volume mariadb is at %s, not under %s/" % (device, site.data_dir)
    with host.sudo():
        assert host.file("%s/mysql" % device).is_directory, "no database files in %s" % device


@pytest.mark.by_hand("docker exec mariadb sh -c 'command -v nginx'  # must print nothing")
def test_mariadb_image_has_no_nginx(host):
    assert host.run("docker exec mariadb sh -c 'command -v nginx'").rc != 0, "nginx is installed in the mariadb image"


@pytest.mark.by_hand("docker exec -it mariadb mariadb -u{db_user} -p {db_name} -e 'SELECT COUNT(*) FROM wp_users'  # password: sudo cat {db_password}")
def test_app_user_logs_in_and_sees_wp_users_rows(sql, figure):
    out = sql("SELECT COUNT(*) FROM wp_users")
    assert out.rc == 0, "the app user cannot log in: %s" % out.stderr.strip()
    figure("wp_users rows", out.stdout.strip())
    assert int(out.stdout.strip()) > 0, "wp_users is empty"


@pytest.mark.by_hand("docker exec mariadb mariadb -uroot -e 'SELECT 1'  # must say: Access denied")
def test_root_without_password_is_refused(host):
    out = host.run("docker exec mariadb mariadb -uroot -e 'SELECT 1'")
    assert out.rc != 0, "root logged in without a password"
    assert "Access denied" in out.stderr, out.stderr


@pytest.mark.by_hand("for a in 127.0.0.1 $(hostname -I); do timeout 3 bash -c \"exec 3<>/dev/tcp/$a/3306\" && echo \"3306 open on $a\"; done")
def test_mariadb_port_is_not_reachable_from_the_vm(host):
    addresses = ["127.0.0.1"] + host.check_output("hostname -I").split()
    reachable = [a for a in addresses if ":" not in a and host.run(
        "timeout 3 bash -c 'exec 3<>/dev/tcp/%s/3306'" % a).rc == 0]
    assert not reachable, "MariaDB's port 3306 answers on the VM at %s" % ", ".join(reachable)
