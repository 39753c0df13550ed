"""The evaluation suite's security section (tests/evaluation/test_11_security.py), its
pure parts on recorded outputs: `docker top`, testssl.sh's JSON findings, and the
secret-leak search run by a local shell on fake secrets and sources."""

import os
import subprocess
import sys
import warnings

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "evaluation"))
with warnings.catch_warnings():  # its by_hand marks are registered by the suite's conftest only
    warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
    import test_11_security as security  # noqa: E402
from report import _scale_order  # noqa: E402
from stack import BONUS, EXPORTERS, SERVICES  # noqa: E402

TOP = """UID                 RUID                PID                 COMMAND
0                   0                   4242                nginx
33                  33                  4301                nginx
33                  0                   4302                php-fpm8.2
101                 101                 4303                redis-server
"""


def test_root_processes_by_effective_or_real_uid():
    assert security.root_processes(TOP) == [("4242", "nginx"), ("4302", "php-fpm8.2")]
    assert security.root_processes(TOP.splitlines()[0] + "\n101 101 7 redis-server\n") == []
    assert security.root_processes("") == []


def test_process_uids_are_the_non_root_ones_of_a_command():
    top = TOP + "33 33 4400 php-fpm8.2\n0 0 1 php-fpm8.2\n"
    assert security.process_uids(top, "php") == ["33"]
    assert security.process_uids(top, "mysqld") == []


@pytest.mark.parametrize("options,expected", [
    (["no-new-privileges:true"], True), (["no-new-privileges"], True), (["no-new-privileges=true"], True),
    (["no-new-privileges:false"], False), (["seccomp=unconfined"], False), (None, False)])
def test_no_new_privileges(options, expected):
    assert security.no_new_privileges(options) is expected


@pytest.mark.parametrize("drop,expected", [(["ALL"], True), (["all"], True), (["CAP_ALL"], True),
                                           (["NET_RAW"], False), (None, False)])
def test_drops_all(drop, expected):
    assert security.drops_all(drop) is expected


def test_every_exception_to_the_contract_names_a_service_of_the_stack():
    assert security.STACK == set(SERVICES + BONUS + EXPORTERS)
    assert security.ROOT_KEPT | security.WRITABLE_ROOT_KEPT <= security.STACK
    assert security.excepted("someone-elses-service", security.ROOT_KEPT)
    assert security.excepted("someone-elses-service", security.WRITABLE_ROOT_KEPT)


def test_security_comes_after_the_bonus_in_the_report():
    assert _scale_order(security.SECTION) > _scale_order("10. Bonus")


def finding(ident, severity, text):
    return {"id": ident, "ip": "x.42.fr/127.0.0.1", "port": "4443", "severity": severity, "finding": text}


SCAN = [
    finding("TLS1_2", "OK", "offered"), finding("TLS1_3", "OK", "offered with final"),
    finding("cert_chain_of_trust", "CRITICAL", "failed (self signed)."),
    finding("cert_revocation", "HIGH", "Neither CRL nor OCSP URI provided"),
    finding("BREACH", "MEDIUM", "potentially VULNERABLE, gzip HTTP compression detected"),
    finding("LUCKY13", "LOW", "potentially vulnerable"), finding("engine_problem", "WARN", "No engine"),
]


def test_grade_expects_only_the_self_signed_pair_and_explained_mediums():
    graded = security.grade(SCAN)
    assert [e[0] for e in graded.expected] == ["cert_chain_of_trust", "cert_revocation"]
    assert graded.unexpected == [] and graded.unexplained == [] and graded.problems == []
    assert [e[0] for e in graded.explained] == ["BREACH"]
    assert security.summary(graded.counts) == "CRITICAL 1, HIGH 1, MEDIUM 1, LOW 1, OK 2, WARN 1"


def test_grade_flags_what_a_self_signed_certificate_does_not_explain():
    graded = security.grade([
        finding("cert_chain_of_trust <cert#1>", "CRITICAL", "failed (expired)."),
        finding("cert_revocation <cert#1>", "HIGH", "Neither CRL nor OCSP URI provided"),
        finding("cert_validityPeriod", "MEDIUM", "900 > 825 days"),
        finding("Heartbleed", "HIGH", "VULNERABLE"),
        finding("scanProblem", "FATAL", "can't connect"),
    ])
    assert graded.unexpected == ["cert_chain_of_trust <cert#1> (CRITICAL): failed (expired).",
                                 "Heartbleed (HIGH): VULNERABLE"]
    assert [e[0] for e in graded.expected] == ["cert_revocation <cert#1>"]
    assert graded.unexplained == ["cert_validityPeriod: 900 > 825 days"]
    assert graded.problems == ["scanProblem: can't connect"]


def test_a_scan_that_did_not_complete_fails_both_checks():
    incomplete = security.Scan([finding("scanProblem", "FATAL", "No TLS")], 3.0, "connection refused")
    with pytest.raises(AssertionError, match="did not complete: scanProblem: No TLS"):
        security.scanned(incomplete)
    with pytest.raises(AssertionError, match="did not complete: connection refused"):
        security.scanned(security.Scan([], 1.0, "connection refused"))


PASSWORD = "Zq3-very-secret-42"
KEY_LINE = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"


@pytest.fixture
def leak_search(tmp_path):
    secrets = tmp_path / "secrets"
    (secrets / "tls").mkdir(parents=True)
    (secrets / "db_password.txt").write_text(PASSWORD + "\n")
    (secrets / "short.txt").write_text("abc\n")
    (secrets / "credentials.txt").write_text(
        "# every account\nWP_ADMIN_USER=marvin\nWP_ADMIN_EMAIL=marvin@student.42.fr\n"
        "export WP_ADMIN_PASSWORD='Adm1n-quoted-value'\nftp password: ftp-colon-value\n"
        "redis_password_file=/run/secrets/redis_password\nsecret_url=https://x.42.fr/secret-place\n")
    (secrets / "tls" / "site.key").write_text("-----BEGIN PRIVATE KEY-----\n%s\nxyz\n-----END PRIVATE KEY-----\n" % KEY_LINE)
    (secrets / "tls" / "site.crt").write_text("-----BEGIN CERTIFICATE-----\nMIIcertificatebody0123\n-----END CERTIFICATE-----\n")
    files = sorted(str(p) for p in secrets.rglob("*") if p.is_file())
    clean = tmp_path / "clean.log"
    clean.write_text("GET / 200\nWP_ADMIN_EMAIL=marvin@student.42.fr\nMIIcertificatebody0123\n"
                     "/run/secrets/redis_password https://x.42.fr/secret-place\n")

    def run(*sources):
        out = subprocess.run(["sh", "-c", security.leak_search_script(files, ("cat %s" % clean,) + sources)],
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return out.stdout
    return run


def test_leak_search_finds_each_secret_and_never_prints_it(leak_search, tmp_path):
    output = leak_search("printf 'MYSQL_PASSWORD=%s\\n'" % PASSWORD, "echo 'key: %s'" % KEY_LINE,
                         "echo 'pw Adm1n-quoted-value and ftp-colon-value'", "echo abc; exit 3")
    labels = ["clean", "env", "key", "credentials", "short"]
    needles, leaks = security.parse_leaks(output, labels)
    secrets = tmp_path / "secrets"
    assert needles == 4  # the password, two credentials.txt values, the key's first line
    assert leaks == ["credentials shows %s/credentials.txt" % secrets,
                     "env shows %s/db_password.txt" % secrets, "key shows %s/tls/site.key" % secrets]
    for value in (PASSWORD, KEY_LINE, "Adm1n-quoted-value", "ftp-colon-value"):
        assert value not in output


def test_leak_search_on_clean_sources_finds_nothing(leak_search):
    assert security.parse_leaks(leak_search("echo nothing here"), ["clean", "other"]) == (4, [])


def test_root_password_file_follows_the_compose_secret_of_a_students_layout(tmp_path):
    """MariaDB's root password for the accounts check: the compose secret named for root, where
    a student's layout keeps it, else the project's own secrets/db_root_password.txt."""
    from discover import Discovery, LocalTree
    project = "/home/arthur/inception"
    site = security.collections.namedtuple("S", "secret_file")(lambda name: "%s/secrets/%s.txt" % (project, name))
    files = {"srcs/docker-compose.yml": "secrets:\n  db_password: {file: ../secrets/sql/sql_password}\n"
                                        "  db_root_password: {file: ../secrets/sql/root_password}\n",
             "secrets/sql/sql_password": "p", "secrets/sql/root_password": "r"}
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    found = Discovery(LocalTree(tmp_path), project)
    assert security.root_password_file(site, found) == project + "/secrets/sql/root_password"
    (tmp_path / "srcs" / "docker-compose.yml").write_text("services: {}\n")
    assert security.root_password_file(site, Discovery(LocalTree(tmp_path), project)) == \
        project + "/secrets/db_root_password.txt"
