"""The evaluation report: the scale's sections with pass/fail, the failing
details and the figures measured, in the terminal and as a Markdown file.

Each test module names its section of the evaluation scale in ``SECTION``;
tests record figures (TLS versions accepted, seconds to recover...) through
the ``figure`` fixture, which also lands in the JUnit XML as properties.
"""

import collections
import datetime
import os

PASS, FAIL, SKIP = "pass", "FAIL", "skipped"


def _host_id(item):
    callspec = getattr(item, "callspec", None)
    host = callspec.params.get("_testinfra_host") if callspec else None
    return host.backend.get_pytest_id() if host is not None else "local"


def _reason(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    if isinstance(report.longrepr, tuple):  # skips: (file, line, reason)
        text = report.longrepr[2]
    else:
        text = crash.message if crash is not None else str(report.longrepr)
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first[:300]


def _scale_order(section):
    number = section.split(".", 1)[0]
    return (int(number) if number.isdigit() else 999, section)


class Report:
    def __init__(self, config):
        self.config = config
        self.items = {}  # nodeid -> (host, section, name)
        self.outcomes = collections.OrderedDict()  # nodeid -> (outcome, reason)
        self.figures = collections.defaultdict(collections.OrderedDict)  # host -> {name: value}

    # -- collection: remember each test's host and scale section
    def pytest_collection_modifyitems(self, items):
        for item in items:
            section = getattr(item.module, "SECTION", item.module.__name__)
            self.items[item.nodeid] = (_host_id(item), section, item.name)

    def pytest_runtest_logreport(self, report):
        if report.nodeid not in self.items:
            return
        if report.when == "call" or report.outcome != "passed":
            outcome = {"passed": PASS, "failed": FAIL, "skipped": SKIP}[report.outcome]
            previous = self.outcomes.get(report.nodeid)
            if previous is None or previous[0] == PASS:
                self.outcomes[report.nodeid] = (outcome, "" if outcome == PASS else _reason(report))

    def record(self, item, name, value):
        self.figures[self.items.get(item.nodeid, ("local",))[0]][name] = value

    # -- summary
    def sections(self):
        """{host: {section: [(name, outcome, reason)]}}, sections in scale order."""
        table = collections.OrderedDict()
        for nodeid, (host, section, name) in sorted(self.items.items(), key=lambda kv: _scale_order(kv[1][1])):
            if nodeid in self.outcomes:
                outcome, reason = self.outcomes[nodeid]
                table.setdefault(host, collections.OrderedDict()).setdefault(section, []).append((name, outcome, reason))
        return table

    def lines(self, markdown=False):
        out = []
        for host, sections in self.sections().items():
            width = max([34] + [len(section) + 1 for section in sections])
            text_row = "%%-%ds %%-7s %%6s %%6s %%7s" % width
            if markdown:
                out += ["## %s" % host, "", "| Section | Result | Passed | Failed | Skipped |", "|---|---|---|---|---|"]
            else:
                out += ["Inception evaluation of %s" % host, text_row % ("section", "result", "passed", "failed", "skipped")]
            failures = []
            for section, tests in sections.items():
                count = collections.Counter(outcome for _, outcome, _ in tests)
                result = FAIL if count[FAIL] else (PASS if count[PASS] else SKIP)
                row = (section, result, count[PASS], count[FAIL], count[SKIP])
                out.append(("| %s | %s | %d | %d | %d |" if markdown else text_row) % row)
                failures += [(section, name, reason) for name, outcome, reason in tests if outcome == FAIL]
            if failures:
                out += ["", "### Failing checks", ""] if markdown else ["Failing checks:"]
                for section, name, reason in failures:
                    out.append(("- **%s** `%s`: %s" if markdown else "  %s / %s: %s") % (section, name, reason))
            figures = self.figures.get(host)
            if figures:
                out += ["", "### Figures measured", "", "| Figure | Value |", "|---|---|"] if markdown else ["Figures measured:"]
                for name, value in figures.items():
                    out.append(("| %s | %s |" if markdown else "  %-40s %s") % (name, value))
            out.append("")
        return out

    def pytest_terminal_summary(self, terminalreporter):
        if not self.outcomes:
            return
        terminalreporter.section("Inception evaluation report")
        for line in self.lines():
            terminalreporter.write_line(line)
        path = self.config.getoption("--report")
        if path:
            stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            with open(path, "w") as handle:
                handle.write("# Inception evaluation report\n\n%s\n\n" % stamp)
                handle.write("\n".join(self.lines(markdown=True)) + "\n")
            terminalreporter.write_line("Markdown report: %s" % path)
