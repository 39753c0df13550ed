"""The evaluation report: the scale's sections with pass/fail, the failing
details and the figures measured, in the terminal, and as files: Markdown
(``--report FILE.md``) or one self-contained HTML page with screenshots
(``--report FILE.html``); ``--report`` may be given several times.

Each test module names its section of the evaluation scale in ``SECTION``;
tests record figures (TLS versions accepted, seconds to recover...) through
the ``figure`` fixture, which also lands in the JUnit XML as properties, and
screenshots through the ``screenshot`` fixture (HTML report only). A check
that cannot decide (what it needs is not where the subject puts it) skips
with a reason starting "cannot decide:", its own outcome in the report.
The ``by_hand`` marker gives the command that checks the same by hand.
"""

import base64
import collections
import datetime
import html
import os
import re
import shlex
import struct

PASS, FAIL, SKIP, UNDECIDED = "pass", "FAIL", "skipped", "cannot decide"
UNDECIDED_PREFIX = "cannot decide:"
OUTCOMES = (PASS, FAIL, UNDECIDED, SKIP)
# The options a check's re-run line repeats, when given.
RERUN_OPTIONS = ("--login", "--domain", "--project-dir", "--https-port", "--site-title",
                 "--ansible-inventory", "--ssh-config", "--ssh-identity-file")


def _host_id(item):
    callspec = getattr(item, "callspec", None)
    host = callspec.params.get("_testinfra_host") if callspec else None
    return host.backend.get_pytest_id() if host is not None else "local"


def _reason(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    if isinstance(report.longrepr, tuple):  # skips: (file, line, reason)
        text = report.longrepr[2]
        text = text[len("Skipped: "):] if text.startswith("Skipped: ") else text
    else:
        text = crash.message if crash is not None else str(report.longrepr)
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first[:400]


def _scale_order(section):
    number = section.split(".", 1)[0]
    return (int(number) if number.isdigit() else 999, section)


def check_title(name, host=None):
    """test_tls_version_accepted[docker://my-vm-tls1_2], docker://my-vm -> Tls version accepted (tls1_2)."""
    base, _, params = name.partition("[")
    words = re.sub(r"^test_", "", base).replace("_", " ")
    params = params[:-1] if params.endswith("]") else params
    for host_id in filter(None, (host, (host or "").split("://")[0])):  # testinfra's host id goes first
        if params == host_id or params.startswith(host_id + "-"):
            params = params[len(host_id) + 1:]
            break
    return words[:1].upper() + words[1:] + (" (%s)" % params if params else "")


def png_size(data):
    """(width, height) of a PNG, or None if data is not one."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return struct.unpack("!II", data[16:24])


def section_result(outcomes):
    count = collections.Counter(outcomes)
    for outcome in (FAIL, UNDECIDED, PASS):
        if count[outcome]:
            return outcome
    return SKIP


class Report:
    def __init__(self, config):
        self.config = config
        self.items = {}  # nodeid -> (host, section, name)
        self.outcomes = collections.OrderedDict()  # nodeid -> (outcome, reason)
        self.figures = collections.defaultdict(collections.OrderedDict)  # host -> {name: value}
        self.shots = collections.defaultdict(list)  # host -> [shot dict]
        self.by_hand = {}  # nodeid -> command on the VM
        self.reruns = {}  # nodeid -> pytest command line
        self.reach = {}  # host -> how to get a shell on the VM

    @property
    def paths(self):
        given = self.config.getoption("--report", None) or []
        return [given] if isinstance(given, str) else list(given)

    @property
    def wants_screenshots(self):
        return any(p.lower().endswith((".html", ".htm")) for p in self.paths) and \
            not self.config.getoption("--no-screenshots", False)

    # -- collection: remember each test's host and scale section
    def pytest_collection_modifyitems(self, items):
        for item in items:
            section = getattr(item.module, "SECTION", item.module.__name__)
            self.items[item.nodeid] = (_host_id(item), section, item.name)
            self.reruns[item.nodeid] = self._rerun(item)

    def _rerun(self, item):
        argv = ["pytest", item.nodeid]
        host = _host_id(item)
        if host != "local" or "_testinfra_host" in getattr(item, "fixturenames", ()):
            argv.append("--hosts=%s" % (host if "://" in host else host + "://"))
        for option in RERUN_OPTIONS:
            value = self.config.getoption(option, None)
            if value:
                argv.append("%s=%s" % (option, value))
        return " ".join(shlex.quote(a) for a in argv)

    def pytest_runtest_logreport(self, report):
        if report.nodeid not in self.items:
            return
        if report.when == "call" or report.outcome != "passed":
            outcome = {"passed": PASS, "failed": FAIL, "skipped": SKIP}[report.outcome]
            reason = "" if outcome == PASS else _reason(report)
            if outcome == SKIP and reason.startswith(UNDECIDED_PREFIX):
                outcome = UNDECIDED
            previous = self.outcomes.get(report.nodeid)
            if previous is None or previous[0] == PASS:
                self.outcomes[report.nodeid] = (outcome, reason)

    def _host(self, item):
        return self.items.get(item.nodeid, ("local",))[0]

    def record(self, item, name, value):
        self.figures[self._host(item)][name] = value

    def record_by_hand(self, item, command):
        self.by_hand[item.nodeid] = command

    def record_reach(self, item, how):
        self.reach.setdefault(self._host(item), how)

    def record_shot(self, item, caption, shot=None, note=""):
        """A screenshot (chromium.Shot) of a check, or a note why there is none."""
        host, section, name = self.items.get(item.nodeid, ("local", "", item.name))
        entry = {"caption": caption, "section": section, "check": name, "note": note}
        if shot is not None:
            entry.update(png=shot.png, title=shot.title, url=shot.url)
        self.shots[host].append(entry)

    # -- summary
    def sections(self):
        """{host: {section: [(name, outcome, reason, nodeid)]}}, sections in scale order."""
        table = collections.OrderedDict()
        for nodeid, (host, section, name) in sorted(self.items.items(), key=lambda kv: _scale_order(kv[1][1])):
            if nodeid in self.outcomes:
                outcome, reason = self.outcomes[nodeid]
                table.setdefault(host, collections.OrderedDict()).setdefault(section, []).append(
                    (name, outcome, reason, nodeid))
        return table

    def lines(self, markdown=False):
        out = []
        for host, sections in self.sections().items():
            width = max([34] + [len(section) + 1 for section in sections])
            text_row = "%%-%ds %%-13s %%6s %%6s %%9s %%7s" % width
            if markdown:
                out += ["## %s" % host, "", "| Section | Result | Passed | Failed | Cannot decide | Skipped |",
                        "|---|---|---|---|---|---|"]
            else:
                out += ["Inception evaluation of %s" % host,
                        text_row % ("section", "result", "passed", "failed", "undecided", "skipped")]
            failures, undecided = [], []
            for section, tests in sections.items():
                count = collections.Counter(outcome for _, outcome, _, _ in tests)
                row = (section, section_result(count.elements()), count[PASS], count[FAIL], count[UNDECIDED], count[SKIP])
                out.append(("| %s | %s | %d | %d | %d | %d |" if markdown else text_row) % row)
                failures += [(section, name, reason) for name, outcome, reason, _ in tests if outcome == FAIL]
                undecided += [(section, name, reason) for name, outcome, reason, _ in tests if outcome == UNDECIDED]
            for title, rows in (("Failing checks", failures), ("Checks that cannot decide", undecided)):
                if rows:
                    out += ["", "### %s" % title, ""] if markdown else ["%s:" % title]
                    for section, name, reason in rows:
                        out.append(("- **%s** `%s`: %s" if markdown else "  %s / %s: %s") % (section, name, reason))
            figures = self.figures.get(host)
            if figures:
                out += ["", "### Figures measured", "", "| Figure | Value |", "|---|---|"] if markdown else ["Figures measured:"]
                for name, value in figures.items():
                    out.append(("| %s | %s |" if markdown else "  %-40s %s") % (name, value))
            out.append("")
        return out

    def markdown(self, stamp):
        return "# Inception evaluation report\n\n%s\n\n" % stamp + "\n".join(self.lines(markdown=True)) + "\n"

    def html(self, stamp):
        return render_html(self, stamp)

    def pytest_terminal_summary(self, terminalreporter):
        if not self.outcomes:
            return
        terminalreporter.section("Inception evaluation report")
        for line in self.lines():
            terminalreporter.write_line(line)
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        for path in self.paths:
            as_html = path.lower().endswith((".html", ".htm"))
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            with open(path, "w") as handle:
                handle.write(self.html(stamp) if as_html else self.markdown(stamp))
            terminalreporter.write_line("%s report: %s" % ("HTML" if as_html else "Markdown", path))


# -- the HTML page ----------------------------------------------------------------

CSS = """
:root{--pass:#1a7f37;--fail:#cf222e;--undecided:#9a6700;--skip:#6e7781;--line:#d8dee4}
*{box-sizing:border-box}body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;
margin:0;background:#f6f8fa}main{max-width:1180px;margin:0 auto;padding:24px 28px 60px}
h1{font-size:26px;margin:0 0 2px}h2{font-size:21px;margin:34px 0 8px;padding-bottom:6px;border-bottom:1px solid var(--line)}
h3{font-size:17px;margin:26px 0 8px}.muted{color:#59636e}code,pre{font:13px/1.45 ui-monospace,"DejaVu Sans Mono",monospace}
table{border-collapse:collapse;background:#fff;border:1px solid var(--line);width:100%}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
thead th{background:#f0f3f6;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums;width:7em}
.badge{display:inline-block;min-width:86px;text-align:center;padding:1px 8px;border-radius:12px;font-size:12.5px;
font-weight:600;color:#fff;white-space:nowrap}.b-pass{background:var(--pass)}.b-FAIL{background:var(--fail)}
.b-cannot-decide{background:var(--undecided)}.b-skipped{background:var(--skip)}
.checks td:first-child{width:110px}.checks .name{font-weight:500}.checks code.id{color:#59636e;font-size:12px}
.msg{margin:4px 0 0;white-space:pre-wrap;word-break:break-word}
pre{background:#f6f8fa;border:1px solid var(--line);border-radius:4px;padding:6px 9px;margin:4px 0 0;
white-space:pre-wrap;word-break:break-all}.how{font-size:12.5px;color:#59636e;margin-top:6px}
details{margin:10px 0;background:#fff;border:1px solid var(--line);border-radius:6px}
details>summary{cursor:pointer;padding:8px 12px;font-weight:600}details>table{border:0;border-top:1px solid var(--line)}
.attention li{margin:6px 0}.figures th{width:45%;font-weight:500}
.shots{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:18px}
figure{margin:0;background:#fff;border:1px solid var(--line);border-radius:6px;overflow:hidden}
figure img{display:block;width:100%;height:auto;border-bottom:1px solid var(--line)}
figcaption{padding:8px 12px;font-size:13.5px}figcaption b{font-size:14.5px}
.noshot{padding:40px 12px;text-align:center;color:#59636e;border-bottom:1px solid var(--line)}
"""


def _badge(outcome):
    return '<span class="badge b-%s">%s</span>' % (outcome.replace(" ", "-"), html.escape(outcome))


def _anchor(host, section):
    return "s-" + re.sub(r"[^a-z0-9]+", "-", ("%s-%s" % (host, section)).lower()).strip("-")


def _repro(report, nodeid, host):
    parts = []
    if report.by_hand.get(nodeid):
        reach = report.reach.get(host)
        parts.append('<div class="how">By hand, on the VM%s:</div><pre class="by-hand">%s</pre>' % (
            " (%s)" % html.escape(reach) if reach else "", html.escape(report.by_hand[nodeid])))
    if report.reruns.get(nodeid):
        parts.append('<div class="how">This check alone, from the controller:</div><pre class="rerun">%s</pre>'
                     % html.escape(report.reruns[nodeid]))
    return "".join(parts)


def render_html(report, stamp):
    e = html.escape
    out = ['<!doctype html><html lang="en"><head><meta charset="utf-8">'
           '<meta name="viewport" content="width=device-width,initial-scale=1">'
           '<title>Inception evaluation report</title><style>%s</style></head><body><main>' % CSS,
           '<h1>Inception evaluation report</h1><p class="muted">%s</p>' % e(stamp)]
    for host, sections in report.sections().items():
        out.append('<section class="host" data-host="%s"><h2>%s</h2>' % (e(host), e(host)))
        # the table of sections, in the scale's order
        out.append('<table class="summary"><thead><tr><th>Section of the scale</th><th>Result</th><th>Passed</th>'
                   '<th>Failed</th><th>Cannot decide</th><th>Skipped</th></tr></thead><tbody>')
        attention = []
        for section, tests in sections.items():
            count = collections.Counter(outcome for _, outcome, _, _ in tests)
            result = section_result(count.elements())
            out.append('<tr class="section" data-section="%s" data-result="%s"><td><a href="#%s">%s</a></td><td>%s</td>'
                       '<td class="n">%d</td><td class="n">%d</td><td class="n">%d</td><td class="n">%d</td></tr>' % (
                           e(section), e(result), _anchor(host, section), e(section), _badge(result),
                           count[PASS], count[FAIL], count[UNDECIDED], count[SKIP]))
            attention += [(section, name, outcome, reason, nodeid) for name, outcome, reason, nodeid in tests
                          if outcome in (FAIL, UNDECIDED)]
        out.append("</tbody></table>")
        if attention:
            out.append('<h3>Needs attention</h3><ul class="attention">')
            for section, name, outcome, reason, nodeid in attention:
                out.append('<li class="problem" data-outcome="%s">%s <b>%s</b> &middot; %s<div class="msg">%s</div>%s</li>' % (
                    e(outcome), _badge(outcome), e(check_title(name, host)), e(section), e(reason), _repro(report, nodeid, host)))
            out.append("</ul>")
        figures = report.figures.get(host)
        if figures:
            out.append('<h3>Figures measured</h3><table class="figures"><tbody>')
            for name, value in figures.items():
                out.append('<tr data-figure="%s"><th>%s</th><td>%s</td></tr>' % (e(name), e(name), e(str(value))))
            out.append("</tbody></table>")
        shots = report.shots.get(host)
        if shots:
            out.append('<h3>Screenshots</h3><p class="muted">Headless Chromium on the controller, reaching the '
                       'site through a tunnel to the VM\'s loopback; each with the page title read from its '
                       'DOM at the same moment.</p><div class="shots">')
            for shot in shots:
                caption = '<figcaption><b>%s</b><br>%s &middot; <span class="muted">%s</span></figcaption>'
                if shot.get("png"):
                    size = png_size(shot["png"]) or (0, 0)
                    out.append(
                        '<figure class="shot" data-caption="%s" data-title="%s" data-url="%s" data-check="%s">'
                        '<img alt="%s" width="%d" height="%d" src="data:image/png;base64,%s">' % (
                            e(shot["caption"]), e(shot["title"]), e(shot["url"]), e(shot["check"]), e(shot["caption"]),
                            size[0], size[1], base64.b64encode(shot["png"]).decode()))
                    detail = "&ldquo;%s&rdquo; &middot; %s" % (e(shot["title"]), e(shot["url"][:120]))
                else:
                    out.append('<figure class="shot missing" data-caption="%s" data-check="%s"><div class="noshot">'
                               'No screenshot: %s</div>' % (e(shot["caption"]), e(shot["check"]), e(shot["note"])))
                    detail = ""
                out.append(caption % (e(shot["caption"]), detail, e(check_title(shot["check"], host))) + "</figure>")
            out.append("</div>")
        # every check, point by point
        out.append("<h3>Every check</h3>")
        for section, tests in sections.items():
            result = section_result(outcome for _, outcome, _, _ in tests)
            out.append('<details id="%s" class="section-checks" data-section="%s"%s><summary>%s %s</summary>'
                       '<table class="checks"><tbody>' % (
                           _anchor(host, section), e(section), " open" if result in (FAIL, UNDECIDED) else "",
                           _badge(result), e(section)))
            for name, outcome, reason, nodeid in tests:
                detail = '<div class="msg">%s</div>' % e(reason) if reason else ""
                if outcome in (FAIL, UNDECIDED):
                    detail += _repro(report, nodeid, host)
                out.append('<tr class="check" data-check="%s" data-outcome="%s"><td>%s</td><td><span class="name">%s'
                           '</span> <code class="id">%s</code>%s</td></tr>' % (
                               e(name), e(outcome), _badge(outcome), e(check_title(name, host)), e(name.split("[")[0]), detail))
            out.append("</tbody></table></details>")
        out.append("</section>")
    out.append('<p class="muted">Written by tests/evaluation (pytest + testinfra).</p></main></body></html>\n')
    return "\n".join(out)
