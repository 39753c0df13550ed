"""Bad input stops the play before any change, naming the variable and the fix."""

import pytest


def test_good_input_passes(run_validate):
    rc, out = run_validate()
    assert rc == 0, out


@pytest.mark.parametrize(
    "login",
    ["", "Wil", "wil smith", "wil/x", "root", "1wil", "-wil", "a" * 33],
    ids=["empty", "uppercase", "space", "slash", "root", "digit-first", "dash-first", "too-long"],
)
def test_bad_login_is_refused_naming_inception_login(run_validate, login):
    rc, out = run_validate({"inception_login": login})
    assert rc != 0
    assert "inception_login" in out
    assert "lowercase letters" in out


@pytest.mark.parametrize(
    "facts",
    [
        {"distribution": "Ubuntu", "distribution_major_version": "24", "distribution_release": "noble"},
        {"distribution": "Debian", "distribution_major_version": "11", "distribution_release": "bullseye"},
    ],
    ids=["ubuntu", "debian-11"],
)
def test_unsupported_os_is_refused(run_validate, facts):
    rc, out = run_validate(facts=facts)
    assert rc != 0
    assert "Unsupported OS: %s %s" % (facts["distribution"], facts["distribution_major_version"]) in out
    assert "Debian 12 or 13" in out


def test_unknown_docker_engine_source_is_refused_with_choices(run_validate):
    rc, out = run_validate({"docker_engine_source": "snap"})
    assert rc != 0
    assert "docker_engine_source" in out
    for choice in ("auto", "debian", "docker"):
        assert choice in out


def test_debian_source_on_debian_12_is_refused(run_validate):
    facts = {"distribution": "Debian", "distribution_major_version": "12", "distribution_release": "bookworm"}
    rc, out = run_validate({"docker_engine_source": "debian"}, facts=facts)
    assert rc != 0
    assert "docker_engine_source is 'debian' on Debian 12" in out


def test_auto_source_on_debian_12_passes(run_validate):
    facts = {"distribution": "Debian", "distribution_major_version": "12", "distribution_release": "bookworm"}
    rc, out = run_validate(facts=facts)
    assert rc == 0, out


@pytest.mark.parametrize("name", ["admin", "wil_Admin", "ADMINISTRATOR", "admin-123", "superadmin"])
def test_admin_name_containing_admin_is_refused(run_validate, name):
    rc, out = run_validate({"inception_project_wp_admin_user": name})
    assert rc != 0
    assert "inception_project_wp_admin_user" in out
    assert "must not contain 'admin'" in out


@pytest.mark.parametrize("value", ["", "short1A", "lowercaseonly123", " Padded Value 42", "NoDigitsHereAtAll"])
def test_weak_supplied_password_is_refused_without_printing_it(run_validate, value):
    rc, out = run_validate({"inception_project_secrets": {"db_password": value}})
    assert rc != 0
    assert "inception_project_secrets.db_password is too weak" in out
    if value.strip():
        assert value.strip() not in out


def test_password_with_metacharacters_is_accepted(run_validate):
    rc, out = run_validate({"inception_project_secrets": {"db_password": "Qu'o\"te $HOME \\back 42"}})
    assert rc == 0, out


@pytest.mark.parametrize("tag", ["latest", ""])
def test_latest_image_tag_is_refused(run_validate, tag):
    rc, out = run_validate({"inception_project_image_tag": tag})
    assert rc != 0
    assert "inception_project_image_tag" in out


REFUSED = [
    ("bad-domain", {"inception_domain": "Wil.42.FR/x"}, ["inception_domain"]),
    ("relative-data-dir", {"vm_host_data_dir": "data"}, ["vm_host_data_dir"]),
    ("wrong-type", {"docker_engine_log_max_file": "many"}, ["docker_engine_log_max_file"]),
    ("admin-equals-user", {"inception_project_wp_admin_user": "wil_boss", "inception_project_wp_user": "WIL_BOSS"}, ["inception_project_wp_user"]),
    ("invalid-email", {"inception_project_wp_user_email": "not-an-email"}, ["inception_project_wp_user_email is 'not-an-email'"]),
    ("login-domain-mismatch", {"inception_domain": "marvin.42.fr"}, ["inception_domain is 'marvin.42.fr' but inception_login is 'wil'"]),
    ("unknown-secret-key", {"inception_project_secrets": {"db_pass": "Abcdefgh12345"}}, ["inception_project_secrets accepts the keys"]),
]


@pytest.mark.parametrize("extra_vars,expected", [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_bad_input_is_refused_naming_the_variable(run_validate, extra_vars, expected):
    rc, out = run_validate(extra_vars)
    assert rc != 0
    for text in expected:
        assert text in out


# One bad value per variable: the play stops in preflight, and the failure names that
# variable alone (no combined message listing every setting).
ONE_BAD_VALUE = [
    ("inception_project_db_name", "word press"),
    ("inception_project_db_user", "root"),
    ("inception_project_db_user", "exporter"),
    ("inception_project_site_title", "Wil's site"),
    ("inception_project_https_port", 70000),
    ("inception_project_image_tag", "latest"),
    ("inception_project_base_image", "nginx"),
    ("inception_project_data_dir", "/srv/data"),
    ("inception_project_wp_admin_email", "nobody"),
    ("inception_project_tls_days", 825),
    ("inception_project_network", "172.30.42.0"),
    ("inception_project_tls_renew_days", 398),
    ("vm_host_hosts_address", "localhost"),
    ("vm_host_data_dir", "/home/wil/../data"),
    ("vm_host_data_volumes", [{"name": "Word Press", "owner": "33", "group": "33", "mode": "0755"}]),
    ("vm_host_extra_hostnames", ["www.wil.42.fr", "Not A Name"]),
    ("docker_engine_users", ["wil", "Bad User"]),
    ("docker_engine_compose_min_version", "two"),
    ("docker_engine_repo_url", "download.docker.com/linux/debian/"),
    ("docker_engine_repo_key_url", "gpg"),
    ("docker_engine_repo_key_url", "http://mirror.example.org/linux/debian/gpg"),
    ("base_image_name", "debian:latest"),
    ("base_image_security_mirror", "deb.debian.org/debian-security"),
    ("inception_stack_services", []),
    ("inception_stack_rebuild", ["Word Press"]),
    ("inception_stack_https_port", 0),
    ("inception_stack_wait_timeout", 0),
]
CHECKED_NAMES = sorted({name for name, _ in ONE_BAD_VALUE})


def failure_messages(out):
    return [line for line in out.splitlines() if '"msg":' in line or "msg:" in line]


@pytest.mark.parametrize("name,value", ONE_BAD_VALUE, ids=[name for name, _ in ONE_BAD_VALUE])
def test_one_bad_value_is_refused_naming_that_variable_alone(run_validate, name, value):
    rc, out = run_validate({name: value})
    assert rc != 0, out
    messages = " ".join(failure_messages(out))
    assert name in messages, out[-2000:]
    others = messages.replace(name, "")
    for known in CHECKED_NAMES:
        assert known == name or known not in others, "the message for %s also names %s: %s" % (name, known, messages)


@pytest.mark.parametrize("value", ["Aa1Aa1Aa1Aa1Aa1", "Abcabc1Abcabc"])
def test_secret_with_too_few_distinct_characters_is_refused_in_preflight(run_validate, value):
    """The module's distinct-characters rule applies in preflight too (one policy)."""
    rc, out = run_validate({"inception_project_secrets": {"wp_user_password": value}})
    assert rc != 0
    assert "inception_project_secrets.wp_user_password is too weak" in out
    assert "distinct characters" in out
    assert value not in out


@pytest.mark.parametrize("proxy", ["", "http://192.0.2.2:3142", "http://apt-cache.lan:3142/"])
def test_apt_proxy_empty_or_http_host_port_passes(run_validate, proxy):
    rc, out = run_validate({"inception_apt_proxy": proxy})
    assert rc == 0, out


@pytest.mark.parametrize(
    "proxy",
    ["192.0.2.2:3142", "https://192.0.2.2:3142", "http://192.0.2.2", "http://u:p@cache:3142",
     "http://cache:3142/debian", "http://cache:3142 ; rm -rf /", ["http://cache:3142"],
     "http://127.0.0.1:3142", "http://localhost:3142", "http://cache:0", "http://cache:99999", "http://cache:3142\n"],
    ids=["no-scheme", "https", "no-port", "credentials", "path", "shell", "list", "loopback", "localhost",
         "port-0", "port-too-big", "newline"],
)
def test_bad_apt_proxy_is_refused_naming_the_variable(run_validate, proxy):
    rc, out = run_validate({"inception_apt_proxy": proxy})
    assert rc != 0
    assert "inception_apt_proxy must be empty" in out
    assert "http://192.0.2.2:3142" in out
