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


def test_bad_domain_is_refused(run_validate):
    rc, out = run_validate({"inception_domain": "Wil.42.FR/x"})
    assert rc != 0
    assert "inception_domain" in out


def test_relative_data_dir_is_refused(run_validate):
    rc, out = run_validate({"vm_host_data_dir": "data"})
    assert rc != 0
    assert "vm_host_data_dir" in out


def test_wrong_type_is_refused_by_argument_spec(run_validate):
    rc, out = run_validate({"docker_engine_log_max_file": "many"})
    assert rc != 0
    assert "docker_engine_log_max_file" in out
