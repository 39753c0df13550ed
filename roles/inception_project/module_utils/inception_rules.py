# -*- coding: utf-8 -*-
"""The Inception subject's rules as static checks over a project tree.

``lint_tree(root, login)`` returns every violation as a ``Violation`` with the
file (relative to the root), the line (1 or more), a rule id and a one-line
message saying what to change. ``RULES`` maps each rule id to what it enforces;
docs/rules.md gives the subject's reason for each. Used by the ``inception_lint``
module, by ``tools/inception-lint`` on any student repository, and by the
evaluation suite.

Runs on the target host: Python 3 and PyYAML only. No input file may crash it:
what it cannot read or parse is reported as a violation.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from collections import namedtuple

import yaml

Violation = namedtuple("Violation", "file line rule message")

PENULTIMATE_DEBIAN = "bookworm"
# Alpine's penultimate stable branch. True on 2026-11-28: 3.24 is current (June
# 2026), so 3.23 is penultimate; becomes 3.24 when 3.25 ships. Override with
# --alpine (CLI) or alpine: (module) without waiting for a release of this code.
PENULTIMATE_ALPINE = "3.23"
MANDATORY = ("nginx", "wordpress", "mariadb")
DATA_SERVICES = ("wordpress", "mariadb")

# Every rule id the linter reports, with what it enforces (the evaluation
# suite has one check per rule; docs/rules.md explains each).
RULES = {
    "layout": "Makefile at the root, srcs/.env and srcs/docker-compose.yml present",
    "unreadable": "every file the linter checks can be read and parsed",
    "compose-syntax": "the compose file parses",
    "compose": "the compose file has services",
    "env-variable": "every ${VAR} of the compose file is set in srcs/.env or has a default",
    "networks": "a networks: section, every service on a declared network",
    "network-host": "no network: host / network_mode: host",
    "links": "no links:, external_links: or --link",
    "restart": "every container restarts on a crash",
    "image": "images built from our own Dockerfiles, none pulled ready-made",
    "image-name": "each image is named after its service",
    "latest": "no latest tag",
    "ports": "only nginx publishes, and only the HTTPS port",
    "volumes": "the WordPress and MariaDB volumes exist",
    "volume-path": "volumes live under /home/<login>/data",
    "dockerfile": "one non-empty Dockerfile per service",
    "from": "FROM the penultimate stable Debian or Alpine",
    "keepalive": "no tail -f, sleep infinity or endless loops",
    "background": "no background & in scripts or commands",
    "shell-pid1": "no shell as PID 1 that hides the real daemon",
    "admin-name": "the administrator's name contains no admin",
    "secret-in-env": "no password in srcs/.env or environment:",
    "secret-in-dockerfile": "no password in a Dockerfile or a build arg",
    "secret-in-script": "no hard-coded password in a script or SQL file",
    "secrets-git": "secrets/ is git-ignored",
    "private-key": "no TLS private key committed",
    "nginx-tls": "nginx serves only TLSv1.2/TLSv1.3, no plain-HTTP listen",
    "makefile": "make (the default target) builds and starts the stack",
}
# The subject forbids an administrator whose name contains "admin" in any case
# (admin, Admin, administrator, admin-123...). The one Python definition: the linter
# and the preflight (test plugin forbidden_admin_name) use it; wp-setup.php renders
# the same word from the role's variables (tests/unit checks they agree).
FORBIDDEN_ADMIN_WORD = "admin"


def forbidden_admin_name(name):
    """True when ``name`` may not be the WordPress administrator's login."""
    return FORBIDDEN_ADMIN_WORD in str(name).lower()


SHELL_NAMES = {"sh", "bash", "dash", "zsh", "ash"}
SKIPPED_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__"}
COMPOSE_NAMES = ("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml")
# Files bigger than this are not configuration a student wrote (a committed
# WordPress archive, a database dump): skipping them keeps the linter fast.
MAX_TEXT_BYTES = 512 * 1024

KEEPALIVE = [
    (re.compile(r"\btail\s+-f\b"), "tail -f"),
    (re.compile(r"\bsleep\s+infinity\b"), "sleep infinity"),
    (re.compile(r"\bwhile\s+(true|:|\[\s*1\s*\]|1)\b"), "while true"),
    (re.compile(r"\bfor\s*\(\(\s*;\s*;\s*\)\)"), "for ((;;))"),
]
# A lone '&' (not '&&', not a redirection like 2>&1 or &>).
BACKGROUND = re.compile(r"(?<![&>|<])&(?![&>\d])\s*($|;|\)|\s+\S)")
# What ends a background bootstrap server: it is stopped or waited for.
STOPS_BACKGROUND = re.compile(r"\b(kill|pkill|killall|wait)\b|\bshutdown\b|\b(service|rc-service)\s+\S+\s+stop\b"
                              r"|/etc/init\.d/\S+\s+stop\b")
# Long-running servers a script may start in the foreground (then it must exec them).
DAEMON = re.compile(r"^\s*(\S*/)?(php-?fpm[\d.]*|nginx|mysqld|mariadbd|mysqld_safe|mariadbd-safe|"
                    r"redis-server|vsftpd|proftpd|pure-ftpd|httpd|apache2|node|npm|python3?|gunicorn|"
                    r"php\s+-S|cadvisor|prometheus|grafana-server)\b")
HTTP_PORTS = {"80", "8080", "8000", "8008", "8888"}
# Database and cache ports (MariaDB/MySQL, PostgreSQL, Redis, Memcached, MongoDB): bonus
# services may publish e.g. FTP, never these.
BACKEND_PORTS = {"3306", "5432", "6379", "11211", "27017"}

# Credential names: *PASS*, *PASSWORD*, *PWD*, *SECRET*, *TOKEN*, *_PW, DB_ROOT...
CREDENTIAL_WORD = re.compile(r"PASS(?!IVE)|PWD|SECRET|TOKEN|PRIVATE_?KEY|API_?KEY|CREDENTIAL", re.I)
CREDENTIAL_SEGMENT = re.compile(r"(^|_)PW(_|$)", re.I)
ROOT_CREDENTIAL = re.compile(r"^(DB|MYSQL|MARIADB|SQL)_ROOT$", re.I)
# Names that point at a credential rather than hold one.
REFERENCE_SUFFIX = re.compile(r"_(FILE|PATH|DIR|ROOT|LOCATION)$", re.I)


# --------------------------------------------------------------------------- reading
def read_text(path):
    """A file's text: UTF-8, else Latin-1 (which decodes any byte). Raises OSError."""
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def is_small_text_file(path):
    try:
        if os.path.getsize(path) > MAX_TEXT_BYTES:
            return False
        with open(path, "rb") as handle:
            return b"\0" not in handle.read(4096)
    except OSError:
        return False


def walk_files(top):
    """Every file under ``top`` except VCS and dependency folders, in a stable order."""
    for base, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        for name in sorted(files):
            yield os.path.join(base, name)


def line_of_match(lines, pattern, default=1):
    """First 1-based line matching ``pattern`` (a regex), else ``default``."""
    for number, line in enumerate(lines, 1):
        if re.search(pattern, line):
            return number
    return default


# --------------------------------------------------------------------------- YAML
class LineDict(dict):
    """A dict that remembers the line of each key (1-based)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = {}
        self.line = 1


class LineList(list):
    """A list that remembers the line of each item (1-based)."""

    def __init__(self, *args):
        super().__init__(*args)
        self.lines = []


MERGE_TAG = "tag:yaml.org,2002:merge"


def _construct(node, constructor, active=()):
    if id(node) in active:
        # An alias inside its own anchor: compose rejects it; never recurse forever.
        raise yaml.constructor.ConstructorError(None, None, "recursive alias", node.start_mark)
    active = active + (id(node),)
    if isinstance(node, yaml.MappingNode):
        out = LineDict()
        out.line = node.start_mark.line + 1
        merged = []
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                merged.append(value_node)
                continue
            key = _construct(key_node, constructor, active)
            if isinstance(key, (dict, list)):
                key = str(key)
            out[key] = _construct(value_node, constructor, active)
            out.lines[key] = key_node.start_mark.line + 1
        # '<<: *anchor' (or a list of anchors): keys of the mapping win.
        for value_node in merged:
            sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for source in sources:
                base = _construct(source, constructor, active)
                if isinstance(base, LineDict):
                    for key, value in base.items():
                        if key not in out:
                            out[key] = value
                            out.lines[key] = base.lines.get(key, out.line)
        return out
    if isinstance(node, yaml.SequenceNode):
        out = LineList(_construct(n, constructor, active) for n in node.value)
        out.lines = [n.start_mark.line + 1 for n in node.value]
        return out
    try:
        return constructor.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError:
        # Compose's own tags (!reset, !override) and other unknown tags: keep the text.
        return node.value


def load_yaml(text):
    """The YAML document with line numbers on mappings and lists; YAMLError if invalid."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    return _construct(node, yaml.constructor.SafeConstructor()) if node is not None else LineDict()


# --------------------------------------------------------------------------- .env and variables
def parse_env(text):
    """KEY=VALUE pairs of a .env text, and the line of each key."""
    values, lines = {}, {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        key = re.sub(r"^export\s+", "", key).strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[key], lines[key] = value, number
    return values, lines


VARIABLE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def substitute(value, env):
    """Compose-style interpolation from ``env`` only (never the runner's environment).

    Returns (text, unset names): names used without a value or a default.
    """
    missing = []

    def repl(match):
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(4)
        operator, word = match.group(2), match.group(3) or ""
        found = env.get(name)
        empty = found in (None, "")
        if operator in (":-", "-"):
            return word if (found is None if operator == "-" else empty) else found
        if operator in (":+", "+"):
            return "" if (found is None if operator == "+" else empty) else word
        if found is None:
            missing.append(name)
            return ""
        return found

    return VARIABLE.sub(repl, value), missing


def interpolate(value, env):
    """``value`` with its variables filled from ``env``; None when one is unset (unknown value)."""
    if not isinstance(value, str):
        return value
    text, missing = substitute(value, env)
    return None if missing else text


# --------------------------------------------------------------------------- credentials
def is_credential_name(name):
    name = str(name)
    if REFERENCE_SUFFIX.search(name) and not ROOT_CREDENTIAL.match(name):
        return False
    return bool(CREDENTIAL_WORD.search(name) or CREDENTIAL_SEGMENT.search(name) or ROOT_CREDENTIAL.match(name))


def looks_like_path(value):
    return bool(re.match(r"(/|\./|\.\./|~/?)", value)) or value in (".", "..")


def holds_credential(name, value):
    """True when ``name=value`` puts an actual credential in a file or the environment."""
    if not is_credential_name(name):
        return False
    if value is None:
        return False
    value = str(value).strip()
    return bool(value) and not looks_like_path(value)


def _literal(value):
    """True when a shell/SQL value is written out (no variable, no command substitution)."""
    return bool(value) and "$" not in value and "`" not in value


# (pattern, whether its 'name' group must be a credential name)
HARD_CODED_SECRET = [
    (re.compile(r"^\s*(?:export\s+|local\s+|readonly\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>\"[^\"]*\"|'[^']*'|[^\s;&|]+)"),
     True),
    (re.compile(r"\b(?:mysql|mariadb|mysqladmin|mariadb-admin|mysqldump|mariadb-dump)\b.*\s-p(?P<value>'[^']+'|\"[^\"]+\"|[^\s;&|]+)"),
     False),
    (re.compile(r"--(?P<name>(?:admin[_-]|user[_-]|db)?pass(?:word|wd)?)[= ](?P<value>'[^']*'|\"[^\"]*\"|[^\s;&|]+)", re.I), False),
    (re.compile(r"\bIDENTIFIED\s+(?:VIA\s+\S+\s+USING\s+PASSWORD\s*\(\s*|BY\s+)(?P<value>'[^']*'|\"[^\"]*\")", re.I), False),
    (re.compile(r"\bPASSWORD\s*\(\s*(?P<value>'[^']*'|\"[^\"]*\")\s*\)", re.I), False),
]
# Template placeholders that a script replaces (sed, envsubst) are not credentials.
PLACEHOLDER = re.compile(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)+|\{\{.*\}\}|@\w+@|__\w+__|<[^>]+>|%\w+%")


def hard_coded_secret(code):
    """The credential written out in a script or SQL line, or None."""
    for pattern, named in HARD_CODED_SECRET:
        for match in pattern.finditer(code):
            groups = match.groupdict()
            if named and not is_credential_name(groups["name"]):
                continue
            value = groups["value"].strip("'\"")
            if _literal(value) and not looks_like_path(value) and not PLACEHOLDER.fullmatch(value):
                return groups.get("name") or "password"
    return None


# --------------------------------------------------------------------------- Dockerfiles
def is_dockerfile_name(name):
    """Dockerfile, dockerfile, Dockerfile.nginx, mariadb.dockerfile: names Docker users give them."""
    lower = name.lower()
    if lower.endswith((".dockerignore", ".md", ".txt", ".orig", ".bak", ".swp")):
        return False
    return lower == "dockerfile" or lower.endswith(".dockerfile") or lower.startswith("dockerfile.")


def dockerfile_instructions(lines):
    """(line number, INSTRUCTION, arguments) with continuation lines joined."""
    out, buf, start = [], "", 0
    for number, raw in enumerate(lines, 1):
        code = raw.strip()
        if not code or code.startswith("#"):
            continue
        if not buf:
            start = number
        if code.endswith("\\"):
            buf += code[:-1] + " "
            continue
        buf += code
        parts = buf.split(None, 1)
        out.append((start, parts[0].upper(), parts[1] if len(parts) > 1 else ""))
        buf = ""
    if buf.strip():
        parts = buf.split(None, 1)
        out.append((start, parts[0].upper(), parts[1] if len(parts) > 1 else ""))
    return out


def declared_variables(instruction, args):
    """(name, value or None) pairs an ARG or ENV instruction declares (ARG may declare several)."""
    args = args.strip()
    if not args:
        return []
    first = args.split(None, 1)[0]
    if instruction == "ENV" and "=" not in first:
        # Legacy 'ENV NAME value with spaces'.
        rest = args.split(None, 1)
        return [(rest[0], rest[1] if len(rest) > 1 else "")]
    out = []
    for token in re.findall(r"(?:[^\s\"']+|\"[^\"]*\"|'[^']*')+", args):
        name, sep, value = token.partition("=")
        if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            out.append((name, value.strip("'\"") if sep else None))
    return out


def exec_form(args):
    """argv of a CMD/ENTRYPOINT: its JSON list, else the shell form run by /bin/sh -c."""
    args = args.strip()
    if args.startswith("["):
        try:
            value = json.loads(args)
            if isinstance(value, list):
                return [str(v) for v in value]
        except ValueError:
            pass
    return ["/bin/sh", "-c", args] if args else []


def is_shell(word):
    return os.path.basename(str(word)) in SHELL_NAMES


def _looks_single_command(script):
    return not re.search(r"[;&|]|\$\(|`", script)


def shell_pid1_problem(argv):
    """Why a CMD/ENTRYPOINT/command keeps a shell as the long-running process, or None."""
    if not argv:
        return None
    first = argv[0]
    if not is_shell(first):
        return None
    if len(argv) == 1:
        return "runs a bare shell (%s): run the daemon itself" % first
    if argv[1] == "-c":
        script = " ".join(argv[2:]).strip()
        if not script.startswith("exec ") and not _looks_single_command(script):
            return "'%s -c' keeps the shell as PID 1: use the exec form or 'exec <daemon>'" % first
    # 'sh script.sh': the script must exec the daemon (checked on the script).
    return None


def script_run_by(argv):
    """The program path a CMD/ENTRYPOINT argv runs when it may be a script, or None."""
    if not argv:
        return None
    if not is_shell(argv[0]):
        return argv[0]
    if len(argv) > 2 and argv[1] == "-c":
        script = " ".join(argv[2:]).strip()
        words = script.split()
        if words[:1] == ["exec"]:
            words = words[1:]
        if not words or not _looks_single_command(script):
            return None
        return words[1] if is_shell(words[0]) and len(words) > 1 else words[0]
    rest = [a for a in argv[1:] if not a.startswith("-")]
    return rest[0] if rest else None


def final_stage(instructions):
    """Instructions of the last build stage (what the container runs)."""
    starts = [i for i, (_, instr, _) in enumerate(instructions) if instr == "FROM"]
    return instructions[starts[-1]:] if starts else instructions


def container_files(instructions, context):
    """Map of container path -> file in the build context, from COPY/ADD of the final stage."""
    out, workdir = {}, "/"
    for _, instr, args in final_stage(instructions):
        if instr == "WORKDIR":
            workdir = os.path.join(workdir, args.strip().strip("'\""))
            continue
        if instr not in ("COPY", "ADD"):
            continue
        words = [w for w in exec_form(args) if not w.startswith("--")] if args.strip().startswith("[") \
            else [w for w in args.split() if not w.startswith("--")]
        if "--from" in args or len(words) < 2:
            continue
        sources, dest = words[:-1], words[-1]
        dest = os.path.join(workdir, dest)
        into_dir = dest.endswith("/") or len(sources) > 1
        for source in sources:
            local = os.path.normpath(os.path.join(context, source))
            if os.path.isdir(local):
                for path in walk_files(local):
                    out[os.path.normpath(os.path.join(dest, os.path.relpath(path, local)))] = path
            elif os.path.isfile(local):
                target = os.path.join(dest, os.path.basename(local)) if into_dir else dest
                out[os.path.normpath(target)] = local
    return out


def resolve_script(program, instructions, context):
    """The file of the build context that ``program`` (a container path or name) runs, or None."""
    files = container_files(instructions, context)
    if program.startswith("/"):
        if os.path.normpath(program) in files:
            return files[os.path.normpath(program)]
    else:
        name = os.path.basename(program)
        for target, local in files.items():
            if os.path.basename(target) == name:
                return local
    if program.endswith((".sh", ".bash")):
        for path in walk_files(context):
            if os.path.basename(path) == os.path.basename(program):
                return path
    return None


def is_shell_script(path, lines):
    if path.endswith((".sh", ".bash")):
        return True
    return bool(lines) and bool(re.match(r"#!\s*/\S*(sh|bash)\b|#!\s*/usr/bin/env\s+(ba)?sh\b", lines[0]))


# --------------------------------------------------------------------------- shell scripts
def code_of(line):
    """A shell/Dockerfile line without its comment."""
    if line.strip().startswith("#"):
        return ""
    return re.sub(r"\s+#.*$", "", line)


def split_heredocs(lines):
    """(line number, code, in_heredoc) for every line; heredoc bodies are data, not commands."""
    out, terminator = [], None
    for number, raw in enumerate(lines, 1):
        if terminator is not None:
            out.append((number, raw, True))
            if raw.strip() == terminator:
                terminator = None
            continue
        code = code_of(raw)
        out.append((number, code, False))
        match = re.search(r"<<-?\s*['\"]?([A-Za-z_][A-Za-z0-9_]*)['\"]?", code)
        if match:
            terminator = match.group(1)
    return out


CLOSERS = re.compile(r"^\s*(fi|done|esac|\}|;;|\)|else|then|do)\s*;?\s*$")


def final_command(commands):
    """(line, code) of the last command a script runs (heredoc bodies and closers skipped)."""
    for number, code, in_heredoc in reversed(commands):
        if in_heredoc or not code.strip() or CLOSERS.match(code):
            continue
        return number, code.strip()
    return None


def pid1_script_problem(lines):
    """(line, message) when a script the image runs keeps the shell as PID 1, else None."""
    commands = split_heredocs(lines)
    last = final_command(commands)
    if last is None:
        return None
    number, code = last
    if re.match(r"exec\s+\S", code):
        return None
    if DAEMON.match(code):
        return number, "'%s' runs under the shell, which stays PID 1: write 'exec %s'" % (
            shorten(code), shorten(code))
    if not any(re.match(r"\s*exec\s+[^<>\d]", c) for _, c, h in commands if not h):
        return number, "the script never 'exec's its daemon, so the shell stays PID 1: end it with 'exec <daemon>'"
    return None


def unbounded_background(commands):
    """Lines that start a process with '&' and never stop or wait for it before going on."""
    out = []
    live = [(n, c) for n, c, h in commands if not h and c.strip()]
    last_line = live[-1][0] if live else 0
    for index, (number, code) in enumerate(live):
        if not BACKGROUND.search(code):
            continue
        # A bootstrap server (mysqld & ... kill/wait ... exec mysqld) is bounded:
        # something after it stops it and the script goes on to its real daemon.
        bounded = any(STOPS_BACKGROUND.search(c) and n != last_line for n, c in live[index + 1:])
        if not bounded:
            out.append(number)
    return out


def shorten(text, width=40):
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


# --------------------------------------------------------------------------- Makefile
MAKE_ASSIGNMENT = re.compile(r"^(?:export\s+|override\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*(?::{1,3}=|\?=|\+=|!=|=)\s*(.*)$")
MAKE_RULE = re.compile(r"^([^\t#=:][^=:]*?)\s*::?(?!=)\s*(.*)$")


def logical_lines(text):
    """(first line number, line) with backslash continuations joined."""
    out, buf, start = [], "", 1
    for number, raw in enumerate(text.splitlines(), 1):
        if not buf:
            start = number
        if raw.endswith("\\"):
            buf += raw[:-1] + " "
            continue
        out.append((start, buf + raw))
        buf = ""
    if buf:
        out.append((start, buf))
    return out


def parse_makefile(text):
    """(variables, rules, first target): rules map target -> (line, prerequisites, recipe lines)."""
    variables, rules, first = {}, {}, None
    current = None
    for number, raw in logical_lines(text):
        if raw.startswith("\t"):
            if current:
                for target in current:
                    rules[target][2].append(raw.strip())
            continue
        line = code_of(raw).rstrip()
        if not line.strip():
            continue
        assignment = MAKE_ASSIGNMENT.match(line)
        if assignment:
            variables[assignment.group(1)] = assignment.group(2)
            continue
        rule = MAKE_RULE.match(line)
        if not rule:
            current = None
            continue
        targets = rule.group(1).split()
        prerequisites, _, inline = rule.group(2).partition(";")
        prerequisites = prerequisites.replace("|", " ").split()
        current = targets
        for target in targets:
            rules.setdefault(target, (number, [], []))
            rules[target][1].extend(prerequisites)
            if inline.strip():
                rules[target][2].append(inline.strip())
            if first is None and not target.startswith(".") and "%" not in target:
                first = target
    return variables, rules, first


def expand_make(text, variables, depth=0):
    if depth > 8:
        return text
    expanded = re.sub(r"\$[({]([A-Za-z_][A-Za-z0-9_.]*)[)}]", lambda m: variables.get(m.group(1), ""), text)
    return expanded if expanded == text else expand_make(expanded, variables, depth + 1)


COMPOSE_UP = re.compile(r"\bdocker[ -]compose\b.*\bup\b|\bdocker\s+(?:-\S+\s+)*compose\b.*\bup\b")


def default_goal_starts_stack(text, root):
    """(goal, line, starts): whether 'make' alone runs 'docker compose ... up'.

    ``starts`` is None when the Makefile cannot be followed statically (sub-makes,
    includes): nothing is reported then.
    """
    variables, rules, first = parse_makefile(text)
    goal = variables.get(".DEFAULT_GOAL", "").strip() or first
    if goal is None:
        return None, 1, False
    if re.search(r"^\s*-?include\b", text, re.M):
        return goal, rules.get(goal, (1,))[0], None
    seen, todo = set(), [goal]
    while todo:
        target = todo.pop()
        if target in seen:
            continue
        seen.add(target)
        _, prerequisites, recipe = rules.get(target, (1, [], []))
        todo.extend(expand_make(p, variables) for p in prerequisites)
        for line in recipe:
            command = expand_make(line, variables)
            if COMPOSE_UP.search(command):
                return goal, rules.get(goal, (1,))[0], True
            sub = re.search(r"(?:\$[({]MAKE[)}]|\bmake)\s+(.*)", line)
            if sub and re.search(r"(^|\s)(-C|--directory|-f)\b", sub.group(1)):
                return goal, rules.get(goal, (1,))[0], None  # another Makefile: not followed
            if sub:
                todo.extend(w for w in expand_make(sub.group(1), variables).split() if not w.startswith("-") and "=" not in w)
            for word in re.findall(r"[\w./-]+\.(?:sh|bash)\b", command):
                script = os.path.join(root, word)
                if os.path.isfile(script) and COMPOSE_UP.search(read_text(script)):
                    return goal, rules.get(goal, (1,))[0], True
    return goal, rules.get(goal, (1,))[0], False


WRITES_FILE = re.compile(r">|\btee\b|\bcp\b|\bmv\b|\benvsubst\b|\bln\b|\binstall\b")


def makefile_generates_env(text, root):
    """True when the Makefile (or a script its recipes run) writes a .env file."""
    variables, rules, _ = parse_makefile(text)
    if any(t.endswith(".env") for t in (expand_make(t, variables) for t in rules)):
        return True
    for _, _, recipe in rules.values():
        for line in recipe:
            command = expand_make(line, variables)
            if ".env" in command and WRITES_FILE.search(command):
                return True
            for word in re.findall(r"[\w./-]+\.(?:sh|bash)\b", command):
                script = os.path.join(root, word)
                if os.path.isfile(script) and any(".env" in l and WRITES_FILE.search(l)
                                                  for l in read_text(script).splitlines()):
                    return True
    return False


# --------------------------------------------------------------------------- nginx
def nginx_tls_problems(lines):
    """(line, message) for TLS protocols other than 1.2/1.3 and listens without ssl."""
    out = []
    ssl_on = any(re.match(r"\s*ssl\s+on\s*;", line) for line in lines)
    for number, raw in enumerate(lines, 1):
        code = code_of(raw)
        protocols = re.match(r"\s*ssl_protocols\s+([^;]+);", code)
        if protocols:
            old = [p for p in protocols.group(1).split() if p not in ("TLSv1.2", "TLSv1.3")]
            if old:
                out.append((number, "ssl_protocols allows %s: keep only TLSv1.2 TLSv1.3" % " ".join(old)))
        listen = re.match(r"\s*listen\s+([^;=]+);", code)
        if listen:
            params = listen.group(1).split()
            if "ssl" not in params and "quic" not in params and not ssl_on:
                out.append((number, "listen %s serves plain HTTP: listen only on 443 with ssl" % params[0]))
    return out


# --------------------------------------------------------------------------- git-ignore
def _gitignore_patterns(directory):
    path = os.path.join(directory, ".gitignore")
    if not os.path.isfile(path):
        return []
    try:
        return [p.strip() for p in read_text(path).splitlines() if p.strip() and not p.startswith("#")]
    except OSError:
        return []


def _pattern_matches(pattern, rel, is_dir):
    dir_only = pattern.endswith("/")
    pattern = pattern.rstrip("/")
    anchored = "/" in pattern
    pattern = pattern.lstrip("/")
    parts = rel.split("/")
    # A path is ignored when it, or one of its parent folders, matches.
    for depth in range(1, len(parts) + 1):
        candidate = "/".join(parts[:depth])
        candidate_is_dir = depth < len(parts) or is_dir
        if dir_only and not candidate_is_dir:
            continue
        subject = candidate if anchored else parts[depth - 1]
        if fnmatch.fnmatchcase(subject, pattern) or (anchored and fnmatch.fnmatchcase(candidate, pattern.replace("**/", ""))):
            return True
    return False


def is_git_ignored(root, rel, is_dir=False):
    """Whether the .gitignore files from ``root`` down to ``rel`` ignore it (last match wins)."""
    rel = rel.replace(os.sep, "/")
    parts = rel.split("/")
    ignored = False
    for depth in range(len(parts)):
        directory = os.path.join(root, *parts[:depth])
        sub = "/".join(parts[depth:])
        for pattern in _gitignore_patterns(directory):
            negate = pattern.startswith("!")
            if _pattern_matches(pattern[1:] if negate else pattern, sub, is_dir):
                ignored = not negate
    return ignored


# --------------------------------------------------------------------------- project layout
def find_project_root(root):
    """The folder holding the project: ``root``, or its only sub-folder with a Makefile or srcs/."""
    if os.path.isfile(os.path.join(root, "Makefile")) or os.path.isdir(os.path.join(root, "srcs")):
        return root
    try:
        entries = sorted(os.listdir(root))
    except OSError:
        return root
    candidates = [os.path.join(root, e) for e in entries
                  if not e.startswith(".") and os.path.isdir(os.path.join(root, e))
                  and (os.path.isfile(os.path.join(root, e, "Makefile")) or os.path.isdir(os.path.join(root, e, "srcs")))]
    return candidates[0] if len(candidates) == 1 else root


def find_compose_file(project):
    """(path, expected): the compose file in srcs/, else one elsewhere in the tree (not expected)."""
    for name in COMPOSE_NAMES:
        path = os.path.join(project, "srcs", name)
        if os.path.isfile(path):
            return path, True
    for path in walk_files(project):
        depth = os.path.relpath(path, project).count(os.sep)
        if os.path.basename(path) in COMPOSE_NAMES and depth <= 3:
            return path, False
    return None, False


# --------------------------------------------------------------------------- checks
class Linter:
    """Collects the violations of one tree; each check_* method covers one file kind."""

    def __init__(self, root, login=None, https_port=443, debian=PENULTIMATE_DEBIAN, alpine=PENULTIMATE_ALPINE):
        self.root = os.path.abspath(root)
        self.login = login
        self.https_port = int(https_port)
        self.debian = debian
        self.alpine = alpine
        self.violations = []
        self.env = {}
        self.env_known = False
        # Build contexts of services run with 'init: true' (the shell is not PID 1 there).
        self.init_contexts = set()
        # Dockerfiles named by compose files, with their contexts.
        self.build_files = {}
        self.nginx_contexts = set()
        self.scripts_run = set()

    def add(self, path, line, rule, message):
        assert rule in RULES, "unregistered rule %s" % rule
        rel = os.path.relpath(path, self.root) if os.path.isabs(path) else path
        self.violations.append(Violation(rel.replace(os.sep, "/"), max(int(line or 1), 1), rule, message))

    def guarded(self, path, check, *args):
        """Run one file's check; report what cannot be read or parsed instead of crashing."""
        try:
            check(path, *args)
        except OSError as exc:
            self.add(path, 1, "unreadable", "cannot read this file (%s): fix its permissions" % exc.strerror)
        except Exception as exc:  # any odd input must become a finding, never a traceback
            self.add(path, 1, "unreadable", "cannot check this file (%s: %s)" % (type(exc).__name__, shorten(str(exc), 60)))

    # -- entry point
    def run(self):
        project = find_project_root(self.root)
        makefile = os.path.join(project, "Makefile")
        if project != self.root:
            self.add(makefile if os.path.isfile(makefile) else project, 1, "layout",
                     "the project seems to be in %s/: put its Makefile and srcs/ at the repository root"
                     % os.path.relpath(project, self.root))
        if not os.path.isfile(makefile):
            self.add(makefile, 1, "layout", "no Makefile at the root of the project: add one that runs docker compose")
        compose_path, expected = find_compose_file(project)
        env_path = os.path.join(os.path.dirname(compose_path) if compose_path else os.path.join(project, "srcs"), ".env")
        if os.path.isfile(env_path):
            self.guarded(env_path, self.check_env)
        elif not (os.path.isfile(makefile) and self._makefile_generates_env(makefile, project)):
            self.add(env_path, 1, "layout", "srcs/.env is missing: store the environment variables there")
        if compose_path is None:
            self.add(os.path.join(project, "srcs", "docker-compose.yml"), 1, "layout",
                     "srcs/docker-compose.yml is missing: compose checks skipped")
        else:
            if not expected:
                self.add(compose_path, 1, "layout", "compose file found at %s: move it to srcs/docker-compose.yml"
                         % os.path.relpath(compose_path, self.root))
            self.guarded(compose_path, self.check_compose)
        dockerfiles = {p for p in walk_files(self.root) if is_dockerfile_name(os.path.basename(p))}
        dockerfiles.update(self.build_files)
        for path in sorted(dockerfiles):
            self.guarded(path, self.check_dockerfile)
        for path in sorted(set(self._scripts(project)) | self.scripts_run):
            self.guarded(path, self.check_script)
        if os.path.isfile(makefile):
            self.guarded(makefile, self.check_makefile, project)
        for context in sorted(self.nginx_contexts | self._nginx_folders(project)):
            for path in walk_files(context):
                if not is_dockerfile_name(os.path.basename(path)) and is_small_text_file(path):
                    self.guarded(path, self.check_nginx_conf)
        self.guarded(self.root, self.check_private_keys)
        self.guarded(project, self.check_gitignore)
        return sorted(set(self.violations), key=lambda v: (v.file, v.line, v.rule, v.message))

    def _makefile_generates_env(self, makefile, project):
        try:
            return makefile_generates_env(read_text(makefile), project)
        except OSError:
            return False

    def _scripts(self, project):
        """Shell scripts and SQL files under srcs/ (what the containers run)."""
        for path in walk_files(os.path.join(project, "srcs")):
            if not is_small_text_file(path):
                continue
            if path.endswith((".sh", ".bash", ".sql")):
                yield path
                continue
            try:
                with open(path, "rb") as handle:
                    head = handle.read(64)
            except OSError:
                continue
            if re.match(rb"#!\s*/\S*(sh|bash)\b|#!\s*/usr/bin/env\s+(ba)?sh\b", head):
                yield path

    def _nginx_folders(self, project):
        requirements = os.path.join(project, "srcs", "requirements", "nginx")
        return {requirements} if os.path.isdir(requirements) else set()

    def _in_init_context(self, path):
        return any(path == c or path.startswith(c + os.sep) for c in self.init_contexts)

    # -- .env
    def check_env(self, path):
        env, lines = parse_env(read_text(path))
        self.env, self.env_known = env, True
        for key, value in env.items():
            if holds_credential(key, value) and not value.startswith("/run/secrets/"):
                self.add(path, lines[key], "secret-in-env",
                         "%s holds a credential: move it to a file under secrets/ (Docker secret)" % key)
            if re.search(r"ADMIN.*(USER|LOGIN|NAME)$", key, re.I) and forbidden_admin_name(value):
                self.add(path, lines[key], "admin-name",
                         "%s=%s: choose an administrator name without 'admin'" % (key, value))

    # -- compose
    def check_compose(self, path):
        text = read_text(path)
        try:
            data = load_yaml(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            self.add(path, (mark.line + 1) if mark else 1, "compose-syntax",
                     "not valid YAML (%s): fix it, compose checks skipped" % problem)
            return
        lines = text.splitlines()
        for number, raw in enumerate(lines, 1):
            code = code_of(raw)
            if re.search(r"\bnetwork(_mode)?\s*:\s*[\"']?host\b", code):
                self.add(path, number, "network-host", "host networking is forbidden: use a bridge network")
            if re.match(r"\s*(external_)?links\s*:", code):
                self.add(path, number, "links", "'links:' is forbidden: use a user-defined network")
            if re.search(r"--link\b", code):
                self.add(path, number, "links", "'--link' is forbidden: use a user-defined network")
            if self.env_known:
                for name in sorted(set(substitute(code, self.env)[1])):
                    self.add(path, number, "env-variable",
                             "${%s} is not set in .env: set it there or give a default" % name)
        services = data.get("services") if isinstance(data, dict) else None
        if not isinstance(services, dict) or not services:
            self.add(path, 1, "compose", "no services defined: declare nginx, wordpress and mariadb")
            return
        if not isinstance(data.get("networks"), dict) or not data.get("networks"):
            self.add(path, line_of_match(lines, r"^services\s*:"), "networks",
                     "no top-level 'networks:': declare a network for the services")
        self.check_named_volumes(path, data)
        for name, svc in services.items():
            line = services.lines.get(name, 1)
            self.check_service(path, line, str(name), svc if isinstance(svc, dict) else LineDict())

    def _data_root(self):
        return "/home/%s/data/" % self.login if self.login else "/home/"

    def check_named_volumes(self, path, data):
        volumes = data.get("volumes") if isinstance(data.get("volumes"), dict) else LineDict()
        data_root = self._data_root()
        for name, spec in volumes.items():
            opts = spec.get("driver_opts") if isinstance(spec, dict) else None
            line = getattr(volumes, "lines", {}).get(name, 1)
            device = opts.get("device") if isinstance(opts, dict) else None
            if isinstance(spec, dict) and spec.get("external"):
                continue
            if not device:
                self.add(path, line, "volume-path",
                         "volume '%s' has no driver_opts.device: bind it to a folder under %s" % (name, data_root))
                continue
            device = interpolate(str(device), self.env)
            if device is not None and not (device.rstrip("/") + "/").startswith(data_root):
                self.add(path, line, "volume-path",
                         "volume '%s' stores its data in %s: move it under %s" % (name, device, data_root))

    def check_service(self, path, line, name, svc):
        lines = svc.lines if isinstance(svc, LineDict) else {}
        self.check_image(path, lines.get("image", line), name, svc)
        if "build" not in svc:
            self.add(path, line, "image", "service '%s' has no 'build:': build it from your own Dockerfile" % name)
        else:
            self.check_build(path, lines.get("build", line), name, svc.get("build"), svc.get("init") is True)
        if svc.get("restart") in (None, "no", False):
            self.add(path, line, "restart", "service '%s' has no restart policy: add restart: unless-stopped" % name)
        for key in ("command", "entrypoint"):
            if key in svc and svc[key] is not None:
                value = svc[key]
                argv = [str(a) for a in value] if isinstance(value, list) else ["/bin/sh", "-c", str(value)]
                self.check_command_text(path, lines.get(key, line), " ".join(argv), "%s of %s" % (key, name))
                problem = shell_pid1_problem(argv)
                if problem and svc.get("init") is not True:
                    self.add(path, lines.get(key, line), "shell-pid1", "%s: %s" % (name, problem))
        for key, value, key_line in mapping_items(svc.get("environment"), lines.get("environment", line)):
            value = interpolate(value, self.env) if isinstance(value, str) else value
            if holds_credential(key, value) and not str(value).startswith("/run/secrets/"):
                self.add(path, key_line, "secret-in-env",
                         "service '%s' gets credential %s from its environment: use a Docker secret" % (name, key))
        ports = svc.get("ports") or []
        if isinstance(ports, list):
            for index, port in enumerate(ports):
                port_line = ports.lines[index] if isinstance(ports, LineList) else lines.get("ports", line)
                self.check_port(path, port_line, name, interpolate(port, self.env) if isinstance(port, str) else port)
        self.check_service_volumes(path, lines.get("volumes", line), name, svc.get("volumes"))

    def check_image(self, path, line, name, svc):
        raw = svc.get("image")
        if raw is None:
            self.add(path, line, "image-name", "service '%s' has no 'image:': name it '%s:<tag>'" % (name, name))
            return
        image = interpolate(str(raw), self.env)
        if image is None:
            return  # an unset variable, reported as env-variable
        last = image.split("/")[-1]
        repo, tag = (image.rsplit(":", 1)) if ":" in last else (image, "")
        if not tag or tag == "latest":
            self.add(path, line, "latest", "image '%s' of '%s' has no tag or latest: give it a version tag" % (image, name))
        if repo.split("/")[-1] != name:
            self.add(path, line, "image-name", "image '%s' is not named after its service: call it '%s'" % (image, name))

    def check_build(self, path, line, name, build, init):
        if isinstance(build, dict):
            context, dockerfile = build.get("context", "."), build.get("dockerfile")
        else:
            context, dockerfile = build, None
        context = interpolate(str(context if context is not None else "."), self.env)
        if context is None or re.match(r"\w+://|git@", context):
            return
        context = os.path.normpath(os.path.join(os.path.dirname(path), context))
        if isinstance(build, dict) and build.get("dockerfile_inline"):
            return
        if dockerfile:
            dockerfile = interpolate(str(dockerfile), self.env)
            if dockerfile is None:
                return
            full = os.path.normpath(os.path.join(context, dockerfile))
        else:
            # Docker accepts a lowercase 'dockerfile' when there is no 'Dockerfile'.
            candidates = [os.path.join(context, n) for n in ("Dockerfile", "dockerfile")]
            full = next((c for c in candidates if os.path.isfile(c)), candidates[0])
        if not os.path.isfile(full):
            if dockerfile and isinstance(build, LineDict):
                line = build.lines.get("dockerfile", line)
            self.add(path, line, "dockerfile", "service '%s': %s does not exist: add its Dockerfile"
                     % (name, os.path.relpath(full, self.root)))
        else:
            self.build_files[full] = context
            if init:
                self.init_contexts.add(context)
            if name == "nginx":
                self.nginx_contexts.add(context)
            if not dockerfile_instructions(read_text(full).splitlines()):
                self.add(full, 1, "dockerfile", "the Dockerfile of '%s' is empty: write its instructions" % name)
        if isinstance(build, dict):
            for key, value, key_line in mapping_items(build.get("args"), line):
                value = interpolate(value, self.env) if isinstance(value, str) else value
                if is_credential_name(key) and not (isinstance(value, str) and looks_like_path(value)):
                    self.add(path, key_line, "secret-in-dockerfile",
                             "service '%s' passes credential %s as a build arg (kept in the image): use a secret"
                             % (name, key))

    def check_port(self, path, line, name, port):
        if port is None:
            return  # an unset variable, reported as env-variable
        if isinstance(port, dict):
            target, published = str(port.get("target", "")), str(port.get("published", port.get("target", "")))
        else:
            parts = str(port).split("/")[0].split(":")
            target = parts[-1]
            published = parts[-2] if len(parts) >= 2 else target
        if name in MANDATORY and name != "nginx":
            self.add(path, line, "ports", "service '%s' publishes port %s: only nginx may be reachable" % (name, port))
        elif name == "nginx":
            if target != "443" or published != str(self.https_port):
                self.add(path, line, "ports", "nginx publishes %s: publish only %s:443" % (port, self.https_port))
        elif target in HTTP_PORTS or published in HTTP_PORTS:
            self.add(path, line, "ports",
                     "service '%s' publishes plain-HTTP port %s: serve it through nginx on 443" % (name, port))
        elif target in BACKEND_PORTS or published in BACKEND_PORTS:
            self.add(path, line, "ports",
                     "service '%s' publishes database/cache port %s: keep it on the compose network" % (name, port))

    def check_service_volumes(self, path, line, name, volumes):
        if not volumes:
            if name in DATA_SERVICES:
                self.add(path, line, "volumes", "service '%s' has no volume: its data must persist in a volume" % name)
            return
        if not isinstance(volumes, list):
            return
        data_root = self._data_root()
        for index, vol in enumerate(volumes):
            vol_line = volumes.lines[index] if isinstance(volumes, LineList) else line
            if isinstance(vol, dict):
                source, target = str(vol.get("source") or ""), str(vol.get("target") or "")
                read_only = bool(vol.get("read_only"))
            else:
                parts = str(vol).split(":")
                source, target = parts[0], parts[1] if len(parts) > 1 else ""
                read_only = len(parts) > 2 and "ro" in parts[2].split(",")
            source = interpolate(source, self.env)
            # Read-only mounts, secrets and configuration files hold no data of the service.
            if not source or read_only or target.startswith(("/run/", "/etc/")) \
                    or os.path.isfile(os.path.join(os.path.dirname(path), source)):
                continue
            if source.startswith(("/", ".", "~")) and name in DATA_SERVICES \
                    and not (source.rstrip("/") + "/").startswith(data_root):
                self.add(path, vol_line, "volume-path",
                         "service '%s' mounts %s: keep its data under %s" % (name, source, data_root))

    # -- Dockerfiles
    def check_dockerfile(self, path):
        lines = read_text(path).splitlines()
        instructions = dockerfile_instructions(lines)
        context = self.build_files.get(path, os.path.dirname(path))
        stages, saw_from = set(), False
        for number, instr, args in instructions:
            if instr == "FROM":
                saw_from = True
                words = args.split()
                image = next((w for w in words if not w.startswith("--")), "")
                if len(words) >= 3 and words[-2].lower() == "as":
                    stages.add(words[-1].lower())
                if image.lower() not in stages:
                    self.check_from(path, number, image)
            elif instr in ("ARG", "ENV"):
                for name, value in declared_variables(instr, args):
                    if is_credential_name(name) and not (value and looks_like_path(value)):
                        self.add(path, number, "secret-in-dockerfile",
                                 "%s %s puts a credential in the image: use a Docker secret" % (instr, name))
            elif instr in ("CMD", "ENTRYPOINT"):
                problem = shell_pid1_problem(exec_form(args))
                if problem and not self._in_init_context(path):
                    self.add(path, number, "shell-pid1", "%s %s" % (instr, problem))
                self.check_command_text(path, number, args, instr)
            elif instr == "RUN" and re.search(r"\b(wget|curl)\b.*\bwordpress\.org/latest", args):
                self.add(path, number, "latest", "downloads WordPress 'latest': download a versioned archive")
        if not saw_from:
            self.add(path, 1, "from", "no FROM instruction: start FROM debian:%s" % self.debian)
        self.follow_main_script(instructions, context)

    def follow_main_script(self, instructions, context):
        """Remember the script the image runs first (ENTRYPOINT, else CMD) to check it execs."""
        stage = final_stage(instructions)
        entry = [a for _, i, a in stage if i == "ENTRYPOINT"]
        cmd = [a for _, i, a in stage if i == "CMD"]
        argv = exec_form(entry[-1]) if entry else exec_form(cmd[-1]) if cmd else []
        program = script_run_by(argv)
        if not program or "$" in program:
            return
        script = resolve_script(program, instructions, context)
        if script and not self._in_init_context(script):
            self.scripts_run.add(script)

    def check_from(self, path, number, image):
        base, _, tag = image.partition(":")
        if image.startswith("$"):
            self.add(path, number, "from", "FROM %s: write the base literally (debian:%s or alpine:%s)"
                     % (image, self.debian, self.alpine))
            return
        if not tag or tag == "latest":
            self.add(path, number, "latest", "FROM %s uses the latest tag: write debian:%s" % (image, self.debian))
        if base in ("debian", "docker.io/debian", "docker.io/library/debian", "library/debian"):
            if tag.split("-")[0] != self.debian:
                self.add(path, number, "from", "FROM %s: use the penultimate stable Debian, debian:%s" % (image, self.debian))
        elif base in ("alpine", "docker.io/alpine", "docker.io/library/alpine", "library/alpine"):
            if not (tag == self.alpine or tag.startswith(self.alpine + ".")):
                self.add(path, number, "from", "FROM %s: use the penultimate stable Alpine, alpine:%s" % (image, self.alpine))
        else:
            self.add(path, number, "from", "FROM %s is a ready-made image: build FROM debian:%s or alpine:%s"
                     % (image, self.debian, self.alpine))

    # -- scripts and Makefile
    def check_command_text(self, path, number, text, where):
        for pattern, label in KEEPALIVE:
            if pattern.search(text):
                self.add(path, number, "keepalive", "%s keeps the container alive with '%s': run the daemon in the foreground"
                         % (where, label))
        if BACKGROUND.search(text):
            self.add(path, number, "background", "%s starts a process in the background with '&': run it in the foreground"
                     % where)

    def check_script(self, path):
        lines = read_text(path).splitlines()
        commands = split_heredocs(lines)
        sql = path.endswith(".sql")
        for number, code, in_heredoc in commands:
            if not code.strip():
                continue
            secret = hard_coded_secret(code)
            if secret:
                self.add(path, number, "secret-in-script",
                         "hard-coded %s: read it from a Docker secret (/run/secrets/...)" % secret)
            if in_heredoc or sql:
                continue
            for pattern, label in KEEPALIVE:
                if pattern.search(code):
                    self.add(path, number, "keepalive", "'%s' keeps the container alive: run the daemon in the foreground"
                             % label)
            if re.search(r"--link\b", code):
                self.add(path, number, "links", "'--link' is forbidden: use a user-defined network")
            if re.search(r"--network[= ]host\b|--net[= ]host\b", code):
                self.add(path, number, "network-host", "host networking is forbidden: use a bridge network")
        if sql:
            return
        for number in unbounded_background(commands):
            self.add(path, number, "background",
                     "starts a process in the background with '&': run the daemon in the foreground (exec)")
        must_exec = path in self.scripts_run or "entrypoint" in os.path.basename(path).lower()
        if must_exec and is_shell_script(path, lines) and not self._in_init_context(path):
            problem = pid1_script_problem(lines)
            if problem:
                self.add(path, problem[0], "shell-pid1", problem[1])

    def check_makefile(self, path, project):
        text = read_text(path)
        for number, raw in enumerate(text.splitlines(), 1):
            code = code_of(raw)
            for pattern, label in KEEPALIVE:
                if pattern.search(code):
                    self.add(path, number, "keepalive", "'%s' (keep-alive or endless loop): remove it" % label)
            if re.search(r"--link\b", code):
                self.add(path, number, "links", "'--link' is forbidden: use a user-defined network")
            if re.search(r"--network[= ]host\b|--net[= ]host\b", code):
                self.add(path, number, "network-host", "host networking is forbidden: use a bridge network")
        goal, line, starts = default_goal_starts_stack(text, project)
        if goal is None:
            self.add(path, 1, "makefile", "the Makefile has no target: make 'all' build and start the stack")
        elif starts is False:
            self.add(path, line, "makefile",
                     "'make' (target %s) never runs 'docker compose up': make it build and start the stack" % goal)

    def check_nginx_conf(self, path):
        for number, message in nginx_tls_problems(read_text(path).splitlines()):
            self.add(path, number, "nginx-tls", message)

    def check_private_keys(self, root):
        for path in walk_files(root):
            if not path.endswith((".key", ".pem")) or not is_small_text_file(path):
                continue
            lines = read_text(path).splitlines()
            number = line_of_match(lines, r"-----BEGIN [A-Z ]*PRIVATE KEY-----", 0)
            if number and not is_git_ignored(root, os.path.relpath(path, root)):
                self.add(path, number, "private-key",
                         "a TLS private key is committed: remove it from git and generate it at build or run time")

    def check_gitignore(self, project):
        secrets_dir = os.path.join(project, "secrets")
        if not os.path.isdir(secrets_dir):
            return
        exposed = [p for p in walk_files(secrets_dir) if not is_git_ignored(self.root, os.path.relpath(p, self.root))]
        if exposed:
            self.add(os.path.join(project, ".gitignore"), 1, "secrets-git",
                     "%s is not git-ignored: add secrets/ to .gitignore" % os.path.relpath(exposed[0], self.root))


def mapping_items(value, default_line):
    """(key, value, line) of a compose mapping or its 'KEY=VALUE' list form."""
    if isinstance(value, dict):
        lines = getattr(value, "lines", {})
        return [(str(k), v, lines.get(k, default_line)) for k, v in value.items()]
    if isinstance(value, list):
        lines = getattr(value, "lines", [])
        out = []
        for index, item in enumerate(value):
            if isinstance(item, str):
                key, sep, val = item.partition("=")
                out.append((key, val if sep else None, lines[index] if index < len(lines) else default_line))
        return out
    return []


def lint_tree(root, login=None, https_port=443, debian=PENULTIMATE_DEBIAN, alpine=PENULTIMATE_ALPINE):
    """Every violation of the Inception rules in the tree at ``root``."""
    return Linter(root, login=login, https_port=https_port, debian=debian, alpine=alpine).run()


def format_violation(v):
    return "%s:%s: [%s] %s" % (v.file, v.line, v.rule, v.message)


def violations_as_json(violations):
    return json.dumps([v._asdict() for v in violations], indent=2)


def violations_as_sarif(violations, tool_name="inception-lint", information_uri=None):
    """A SARIF 2.1.0 log: one run, every rule of RULES, one result per violation."""
    driver = {
        "name": tool_name,
        "rules": [{"id": rule, "shortDescription": {"text": text}} for rule, text in sorted(RULES.items())],
    }
    if information_uri:
        driver["informationUri"] = information_uri
    results = [{
        "ruleId": v.rule,
        "level": "error",
        "message": {"text": v.message},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": v.file},
            "region": {"startLine": max(int(v.line), 1)},
        }}],
    } for v in violations]
    return json.dumps({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "results": results}],
    }, indent=2)
