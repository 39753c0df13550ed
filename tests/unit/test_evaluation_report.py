"""The evaluation suite's own machinery, run on a tiny fake suite with pytester:
sections and their results, failing details, figures, the Markdown file,
opt-in checks skipped by default and ordered last."""

import os

import pytest

EVALUATION = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "evaluation")

SUITE = {
    "test_1_look": '''
SECTION = "1. Looks"

def test_fine(figure):
    figure("TLSv1.2 handshake", "accepted")

def test_broken():
    assert False, "port 80 answered: hello"
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
    for name in ("conftest.py", "report.py", "stack.py"):
        with open(os.path.join(EVALUATION, name)) as handle:
            pytester.makepyfile(**{name[:-3]: handle.read()})
    pytester.makepyfile(**SUITE)
    return pytester


def test_report_table_failures_and_figures(suite):
    result = suite.runpytest("-p", "no:cacheprovider", "--report=out.md", "-v")
    result.assert_outcomes(passed=1, failed=1, skipped=2)
    result.stdout.re_match_lines([
        r"1\. Looks\s+FAIL\s+1\s+1\s+0",
        r"9\. Changes\s+skipped\s+0\s+0\s+2",
        r"\s+1\. Looks / test_broken: AssertionError: port 80 answered: hello",
        r"\s+TLSv1\.2 handshake\s+accepted",
    ], consecutive=False)
    markdown = (suite.path / "out.md").read_text()
    assert "| 1. Looks | FAIL | 1 | 1 | 0 |" in markdown
    assert "- **1. Looks** `test_broken`: AssertionError: port 80 answered: hello" in markdown
    assert "| TLSv1.2 handshake | accepted |" in markdown


def test_opt_in_checks_run_last_when_asked(suite):
    result = suite.runpytest("-p", "no:cacheprovider", "--destructive", "--reboot", "-v",
                             "--junitxml=junit.xml")
    result.assert_outcomes(passed=3, failed=1)
    ran = [line.split(" ")[0] for line in result.outlines if " PASSED" in line or " FAILED" in line]
    assert [name.split("::")[1] for name in ran] == ["test_fine", "test_broken", "test_wipe", "test_reboot"]
    result.stdout.re_match_lines([r"9\. Changes\s+pass\s+2\s+0\s+0", r"\s+make after the clean slate \(s\)\s+42"],
                                 consecutive=False)
    assert 'name="make after the clean slate (s)" value="42"' in (suite.path / "junit.xml").read_text()
