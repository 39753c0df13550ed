"""The evaluation suite's own machinery, run on a tiny fake suite with pytester:
sections and their results, failing details, figures, the Markdown file,
checks that cannot decide, opt-in checks skipped by default and ordered last."""

import os
import subprocess

import pytest
import yaml

EVALUATION = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "evaluation")

SUITE = {
    "test_1_look": '''
import pytest
from stack import cannot_decide
SECTION = "1. Looks"

def test_fine(figure):
    figure("TLSv1.2 handshake", "accepted")

@pytest.mark.by_hand("curl -sS http://{domain}/")
def test_broken(host):
    assert False, "port 80 answered: hello"

def test_undecided():
    cannot_decide("no password for the WordPress administrator")
''',
    "test_0_change": '''
import pytest
SECTION = "9. Changes"

@pytest.mark.destructive
def test_wipe(figure):
    figure("make after the clean slate (s)", "42")

@pytest.mark.reboot
def test_reboot():
    pass
''',
}


@pytest.fixture
def suite(pytester):
    for name in ("conftest.py", "report.py", "stack.py", "chromium.py", "discover.py"):
        with open(os.path.join(EVALUATION, name)) as handle:
            pytester.makepyfile(**{name[:-3]: handle.read()})
    pytester.makepyfile(**SUITE)
    return pytester


def test_report_table_failures_and_figures(suite):
    result = suite.runpytest("-p", "no:cacheprovider", "--report=out.md", "-v")
    result.assert_outcomes(passed=1, failed=1, skipped=3)
    result.stdout.re_match_lines([
        r"1\. Looks\s+FAIL\s+1\s+1\s+1\s+0",
        r"9\. Changes\s+skipped\s+0\s+0\s+0\s+2",
        r"\s+1\. Looks / test_broken\[local\]: AssertionError: port 80 answered: hello",
        r"Checks that cannot decide:",
        r"\s+1\. Looks / test_undecided: cannot decide: no password for the WordPress administrator",
        r"\s+TLSv1\.2 handshake\s+accepted",
    ], consecutive=False)
    markdown = (suite.path / "out.md").read_text()
    assert "| 1. Looks | FAIL | 1 | 1 | 1 | 0 |" in markdown
    assert "- **1. Looks** `test_broken[local]`: AssertionError: port 80 answered: hello" in markdown
    assert "- **1. Looks** `test_undecided`: cannot decide: no password for the WordPress administrator" in markdown
    assert "| TLSv1.2 handshake | accepted |" in markdown


def test_one_run_writes_markdown_and_html(suite, monkeypatch):
    """Several --report files, one per format, also through PYTEST_ADDOPTS (how
    Molecule's default scenario adds the HTML one next to its Markdown one)."""
    monkeypatch.setenv("PYTEST_ADDOPTS", "--report=reports/out.html")
    result = suite.runpytest("-p", "no:cacheprovider", "--report=reports/out.md", "--login=wil")
    result.assert_outcomes(passed=1, failed=1, skipped=3)
    result.stdout.fnmatch_lines(["HTML report: reports/out.html", "Markdown report: reports/out.md"])
    assert (suite.path / "reports" / "out.md").read_text().startswith("# Inception evaluation report")
    page = (suite.path / "reports" / "out.html").read_text()
    assert page.startswith("<!doctype html>") and "<img" not in page  # no check asked for a screenshot
    assert 'data-outcome="cannot decide"' in page and "port 80 answered: hello" in page
    assert "curl -sS http://wil.42.fr/" in page  # by hand, filled in for this stack
    assert "pytest &#x27;test_1_look.py::test_broken[local]&#x27; --hosts=local:// --login=wil" in page  # this check alone


def test_opt_in_checks_run_last_when_asked(suite):
    result = suite.runpytest("-p", "no:cacheprovider", "--destructive", "--reboot", "-v",
                             "--junitxml=junit.xml")
    result.assert_outcomes(passed=3, failed=1, skipped=1)
    ran = [line.split(" ")[0].split("[")[0] for line in result.outlines if " PASSED" in line or " FAILED" in line]
    assert [name.split("::")[1] for name in ran] == ["test_fine", "test_broken", "test_wipe", "test_reboot"]
    result.stdout.re_match_lines([r"9\. Changes\s+pass\s+2\s+0\s+0\s+0", r"\s+make after the clean slate \(s\)\s+42"],
                                 consecutive=False)
    assert 'name="make after the clean slate (s)" value="42"' in (suite.path / "junit.xml").read_text()


ROOT = os.path.dirname(os.path.dirname(EVALUATION))


def test_molecule_default_writes_markdown_and_html():
    with open(os.path.join(ROOT, "molecule", "default", "molecule.yml")) as handle:
        verifier = yaml.safe_load(handle)["verifier"]
    assert verifier["options"]["report"] == "${MOLECULE_PROJECT_DIRECTORY}/reports/molecule-default.md"
    assert verifier["env"]["PYTEST_ADDOPTS"] == "--report=${MOLECULE_PROJECT_DIRECTORY}/reports/molecule-default.html"


@pytest.mark.parametrize("extra, expected", [
    ([], ""), (["DESTRUCTIVE=1"], " --destructive"), (["EVALUATE_ARGS=--reboot"], " --reboot")])
def test_make_evaluate_runs_the_suite_against_any_host(extra, expected):
    out = subprocess.run(["make", "-s", "-n", "-o", "setup", "evaluate", "HOST=ssh://debian@192.0.2.10", "LOGIN=marvin"]
                         + extra, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    line = " ".join(out.replace("\\\n", " ").split())
    assert "pytest tests/evaluation --hosts=ssh://debian@192.0.2.10 --login marvin -p no:cacheprovider " \
           "--report reports/evaluation-marvin.html --report reports/evaluation-marvin.md " \
           "--junitxml reports/evaluation-marvin.xml" + expected in line


def test_make_evaluate_needs_host_and_login():
    done = subprocess.run(["make", "-s", "-o", "setup", "evaluate", "LOGIN=marvin"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode != 0 and "usage: make evaluate HOST=ssh://user@vm LOGIN=login" in done.stderr


@pytest.mark.parametrize("name, host, title", [
    ("test_tls_version_accepted[docker://my-vm-tls1_2]", "docker://my-vm", "Tls version accepted (tls1_2)"),
    ("test_broken[local]", "local", "Broken"),
    ("test_project_follows_rule[ansible://vm-1-admin-name]", "ansible://vm-1", "Project follows rule (admin-name)"),
    ("test_plain", "local", "Plain"),
])
def test_check_titles_drop_the_host(name, host, title):
    import sys
    sys.path.insert(0, EVALUATION)
    from report import check_title
    assert check_title(name, host) == title
