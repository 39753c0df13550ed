"""The filters that make a renewed certificate take effect: which containers serve it,
and which of them started before it was written (no Docker needed)."""

import datetime

import pytest
from ansible.errors import AnsibleFilterError

from module_runner import load_filters

FILTERS = load_filters("inception_stack", "inception_stack_tls")
consumers = FILTERS["inception_stack_tls_consumers"]
restarts = FILTERS["inception_stack_tls_restarts"]

# The shape of `docker compose config --format json` (long secret syntax), trimmed.
CONFIG = {"services": {
    "mariadb": {"secrets": [{"source": "db_root_password", "target": "/run/secrets/db_root_password"}]},
    "ftp": {"secrets": [{"source": "ftp_password"}, {"source": "tls_certificate"}, {"source": "tls_key"}]},
    "website": {},
    "nginx": {"secrets": [{"source": "tls_certificate"}, {"source": "tls_key"}, {"source": "monitoring_auth"}]},
}}
# 2026-11-28 22:00:00 UTC
STARTED = "2026-11-28T22:00:00.123456789Z"
T0 = datetime.datetime(2026, 11, 28, 22, 0, 0, tzinfo=datetime.timezone.utc).timestamp()


def container(service, started=STARTED, running=True, exists=True):
    return {"item": service, "exists": exists,
            "container": {"Name": "/" + service, "State": {"Running": running, "StartedAt": started}} if exists else None}


def files(*mtimes):
    return [{"item": "/p/secrets/tls/wil.42.fr.%s" % ext, "stat": {"exists": True, "mtime": m}}
            for ext, m in zip(("crt", "key"), mtimes)]


def test_consumers_are_the_services_that_mount_the_certificate_or_key():
    assert consumers(CONFIG) == ["ftp", "nginx"]


def test_consumers_accept_the_short_secret_syntax_and_other_names():
    config = {"services": {"nginx": {"secrets": ["tls_certificate"]}, "web": {"secrets": ["cert"]}}}
    assert consumers(config) == ["nginx"]
    assert consumers(config, ["cert"]) == ["web"]


def test_consumers_without_the_ftp_bonus_are_nginx_alone():
    config = {"services": {k: v for k, v in CONFIG["services"].items() if k != "ftp"}}
    assert consumers(config) == ["nginx"]


def test_certificate_written_after_the_start_restarts_its_readers():
    renewed = files(T0 + 3600, T0 + 3599)
    assert restarts([container("ftp"), container("nginx")], renewed) == ["ftp", "nginx"]


def test_a_new_key_alone_also_restarts():
    assert restarts([container("nginx")], files(T0 - 10, T0 + 5)) == ["nginx"]


def test_certificate_older_than_the_start_restarts_nothing():
    assert restarts([container("ftp"), container("nginx")], files(T0 - 100, T0 - 100)) == []


def test_certificate_written_in_the_second_of_the_start_restarts_nothing():
    # StartedAt and the file times are compared to the second; the project role writes
    # the certificate before compose starts the container, never in the same second after.
    assert restarts([container("nginx")], files(T0 + 0.9, T0)) == []


def test_only_the_container_that_started_before_is_restarted():
    late = container("nginx", started="2026-11-28T23:00:01.5Z")
    assert restarts([container("ftp"), late], files(T0 + 3600, T0)) == ["ftp"]


def test_missing_or_stopped_containers_and_missing_files_restart_nothing():
    assert restarts([container("nginx", exists=False), container("ftp", running=False)], files(T0 + 60, T0 + 60)) == []
    assert restarts([container("nginx")], [{"item": "/x", "stat": {"exists": False}}]) == []


@pytest.mark.parametrize("bad", ["nginx", {"results": []}, [1, 2]])
def test_bad_arguments_are_refused_naming_them(bad):
    with pytest.raises(AnsibleFilterError, match="containers must be the 'results' list"):
        restarts(bad, files(T0))
    with pytest.raises(AnsibleFilterError, match="files must be the 'results' list"):
        restarts([container("nginx")], bad)


def test_unreadable_start_time_is_an_error():
    with pytest.raises(AnsibleFilterError, match="StartedAt"):
        restarts([container("nginx", started="yesterday")], files(T0 + 60))


def test_consumers_refuse_what_is_not_a_compose_configuration():
    with pytest.raises(AnsibleFilterError, match="docker compose config"):
        consumers({"nginx": {}})


def test_tls_files_are_the_certificate_and_key_secret_files():
    tls_files = FILTERS["inception_stack_tls_files"]
    config = {"services": {}, "secrets": {"db_password": {"file": "/p/secrets/db_password.txt"},
                                          "tls_certificate": {"file": "/p/secrets/tls/wil.42.fr.crt"},
                                          "tls_key": {"file": "/p/secrets/tls/wil.42.fr.key"}}}
    assert tls_files(config) == ["/p/secrets/tls/wil.42.fr.crt", "/p/secrets/tls/wil.42.fr.key"]
    assert tls_files(config, ["db_password"]) == ["/p/secrets/db_password.txt"]
    assert tls_files({"services": {}}) == []
    with pytest.raises(AnsibleFilterError, match="docker compose config"):
        tls_files("{}")
