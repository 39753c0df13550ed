# -*- coding: utf-8 -*-
"""The Inception rules (shared INCEPTION_RULES.md) as checks over a project tree.

``lint_tree(root, login)`` returns every violation as a ``Violation`` with the
file (relative to the root), the line, a rule id and a message. Used by the
``inception_lint`` module, by ``tools/inception-lint`` on any student
repository, and by the evaluation suite.
"""

from __future__ import annotations

import os
import re
from collections import namedtuple

import yaml

Violation = namedtuple("Violation", "file line rule message")

PENULTIMATE_DEBIAN = "bookworm"
# Alpine's penultimate stable branch (3.22 is current at the time of writing).
PENULTIMATE_ALPINE = "3.21"
MANDATORY = ("nginx", "wordpress", "mariadb")
SECRET_NAME = re.compile(r"(PASS|PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_KEY|API_KEY|CREDENTIAL)", re.I)
KEEPALIVE = [
    (re.compile(r"\btail\s+-f\b"), "tail -f"),
    (re.compile(r"\bsleep\s+infinity\b"), "sleep infinity"),
    (re.compile(r"\bwhile\s+(true|:|\[\s*1\s*\]|1)\b"), "while true"),
    (re.compile(r"\bfor\s*\(\(\s*;\s*;\s*\)\)"), "for ((;;))"),
]
# A lone '&' (not '&&', not a redirection like 2>&1 or &>).
BACKGROUND = re.compile(r"(?<![&>|<])&(?![&>\d])\s*($|;|\)|\s+\S)")
# Every rule id the linter reports, with what it enforces (the evaluation
# suite has one check per rule).
RULES = {
    "layout": "Makefile at the root, srcs/.env and srcs/docker-compose.yml present",
    "compose-syntax": "the compose file parses",
    "compose": "the compose file has services",
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
    "secret-in-dockerfile": "no password in a Dockerfile",
    "secrets-git": "secrets/ is git-ignored",
}
# The subject forbids an administrator whose name contains "admin" in any case
# (admin, Admin, administrator, admin-123...). The one Python definition: the linter
# and the preflight (test plugin forbidden_admin_name) use it; wp-setup.php renders
# the same word from the role's variables (tests/unit checks they agree).
FORBIDDEN_ADMIN_WORD = "admin"


def forbidden_admin_name(name):
    """True when ``name`` may not be the WordPress administrator's login."""
    return FORBIDDEN_ADMIN_WORD in str(name).lower()


SHELLS = {"sh", "bash", "dash", "zsh", "ash", "/bin/sh", "/bin/bash", "/usr/bin/bash", "/bin/dash"}


# --------------------------------------------------------------------------- YAML
class LineDict(dict):
    """A dict that remembers the line of each key (1-based)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = {}
        self.line = 0


class LineList(list):
    """A list that remembers the line of each item (1-based)."""

    def __init__(self, *args):
        super().__init__(*args)
        self.lines = []


def _construct(node):
    if isinstance(node, yaml.MappingNode):
        out = LineDict()
        out.line = node.start_mark.line + 1
        for key_node, value_node in node.value:
            key = _construct(key_node)
            out[key] = _construct(value_node)
            out.lines[key] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        out = LineList(_construct(n) for n in node.value)
        out.lines = [n.start_mark.line + 1 for n in node.value]
        return out
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def load_yaml(text):
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    return _construct(node) if node is not None else LineDict()


# --------------------------------------------------------------------------- helpers
def read_env(path):
    """KEY=VALUE pairs of a .env file with their lines."""
    values, lines = {}, {}
    if not os.path.isfile(path):
        return values, lines
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, raw in enumerate(handle, 1):
            line = raw.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            key, value = line.split("=", 1)
            key = key.replace("export ", "").strip()
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            values[key], lines[key] = value, number
    return values, lines


def interpolate(value, env):
    """Compose-style ${VAR}, ${VAR:-default} and $VAR substitution."""
    if not isinstance(value, str):
        return value

    def repl(match):
        name = match.group(1) or match.group(3)
        default = match.group(2)
        found = env.get(name, os.environ.get(name))
        if found in (None, "") and default is not None:
            return default
        return found if found is not None else ""

    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)", repl, value)


def _rel(root, path):
    return os.path.relpath(path, root)


def _text_lines(path):
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read().splitlines()


def _code(line):
    """A shell/Dockerfile line without its comment."""
    stripped = line.strip()
    if stripped.startswith("#"):
        return ""
    return re.sub(r"\s+#.*$", "", line)


def _dockerfile_instructions(lines):
    """(line number, INSTRUCTION, arguments) with continuation lines joined."""
    out, buf, start = [], "", 0
    for number, raw in enumerate(lines, 1):
        code = raw.strip()
        if not buf and (not code or code.startswith("#")):
            continue
        if code.startswith("#"):
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
    if buf:
        parts = buf.split(None, 1)
        out.append((start, parts[0].upper(), parts[1] if len(parts) > 1 else ""))
    return out


def _declared_names(args):
    """Variable names declared by an ARG or ENV instruction."""
    first = args.split(None, 1)[0] if args.strip() else ""
    if "=" in first:
        return re.findall(r"(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=", args)
    return [first] if first else []


def _exec_form(args):
    args = args.strip()
    if args.startswith("["):
        try:
            value = yaml.safe_load(args)
            if isinstance(value, list):
                return [str(v) for v in value]
        except yaml.YAMLError:
            pass
    return ["/bin/sh", "-c", args] if args else []


def _shell_pid1_problem(argv):
    """Why a CMD/ENTRYPOINT/command keeps a shell as the long-running process, or None."""
    if not argv:
        return None
    first = argv[0]
    if first not in SHELLS:
        return None
    if len(argv) == 1:
        return "runs a bare shell (%s) as the container's main process" % first
    if argv[1] == "-c":
        script = " ".join(argv[2:]).strip()
        if not script.startswith("exec ") and not _looks_single_command(script):
            return "runs '%s -c' whose shell stays PID 1; use exec form or 'exec <daemon>'" % first
        return None
    # sh script.sh: the shell runs a script; the script must exec the daemon (checked on the script).
    return None


def _looks_single_command(script):
    return not re.search(r"[;&|]|\$\(|`", script)


# --------------------------------------------------------------------------- checks
class Linter:
    def __init__(self, root, login=None, https_port=443, debian=PENULTIMATE_DEBIAN, alpine=PENULTIMATE_ALPINE):
        self.root = os.path.abspath(root)
        self.login = login
        self.https_port = int(https_port)
        self.debian = debian
        self.alpine = alpine
        self.violations = []

    def add(self, path, line, rule, message):
        assert rule in RULES, "unregistered rule %s" % rule
        self.violations.append(Violation(_rel(self.root, path) if os.path.isabs(path) else path, line, rule, message))

    # -- entry point
    def run(self):
        root = self.root
        if not os.path.isfile(os.path.join(root, "Makefile")):
            self.add("Makefile", 0, "layout", "no Makefile at the root of the project")
        compose_path = self._find_compose()
        env_path = os.path.join(root, "srcs", ".env")
        env, env_lines = read_env(env_path)
        if not os.path.isfile(env_path):
            self.add("srcs/.env", 0, "layout", "srcs/.env is missing: environment variables must be stored there")
        else:
            self.check_env(env_path, env, env_lines)
        if compose_path is None:
            self.add("srcs/docker-compose.yml", 0, "layout", "srcs/docker-compose.yml is missing")
        else:
            self.check_compose(compose_path, env)
        for path in self._files(("Dockerfile",)):
            self.check_dockerfile(path)
        for path in self._scripts():
            self.check_script(path)
        if os.path.isfile(os.path.join(root, "Makefile")):
            self.check_script(os.path.join(root, "Makefile"), makefile=True)
        self.check_gitignore()
        return sorted(set(self.violations), key=lambda v: (v.file, v.line, v.rule, v.message))

    def _find_compose(self):
        for name in ("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml"):
            path = os.path.join(self.root, "srcs", name)
            if os.path.isfile(path):
                return path
        return None

    def _files(self, names):
        for base, dirs, files in os.walk(self.root):
            dirs[:] = [d for d in dirs if d not in (".git", "node_modules", ".venv")]
            for name in files:
                if name in names:
                    yield os.path.join(base, name)

    def _scripts(self):
        for base, dirs, files in os.walk(os.path.join(self.root, "srcs")):
            dirs[:] = [d for d in dirs if d not in (".git", "node_modules")]
            for name in files:
                path = os.path.join(base, name)
                if name.endswith((".sh", ".bash")):
                    yield path
                    continue
                try:
                    with open(path, "rb") as handle:
                        head = handle.read(64)
                except OSError:
                    continue
                if head.startswith(b"#!") and re.match(rb"#!\s*/\S*(sh|bash)\b", head):
                    yield path

    # -- .env
    def check_env(self, path, env, lines):
        for key, value in env.items():
            if SECRET_NAME.search(key) and value and not key.endswith("_FILE") and not value.startswith("/run/secrets/"):
                self.add(path, lines[key], "secret-in-env",
                         "%s holds a credential in .env: use a Docker secret (file under secrets/)" % key)
        for key, value in env.items():
            if re.search(r"ADMIN.*(USER|LOGIN|NAME)$", key, re.I) and forbidden_admin_name(value):
                self.add(path, lines[key], "admin-name",
                         "%s=%s: the WordPress administrator's name must not contain 'admin'" % (key, value))

    # -- compose
    def check_compose(self, path, env):
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            data = load_yaml(text)
        except yaml.YAMLError as exc:
            line = getattr(getattr(exc, "problem_mark", None), "line", -1) + 1
            self.add(path, line, "compose-syntax", "not valid YAML: %s" % exc)
            return
        for number, raw in enumerate(text.splitlines(), 1):
            code = _code(raw)
            if re.search(r"\bnetwork(_mode)?\s*:\s*[\"']?host\b", code):
                self.add(path, number, "network-host", "host networking is forbidden")
            if re.match(r"\s*links\s*:", code):
                self.add(path, number, "links", "'links:' is forbidden; use a user-defined network")
            if re.search(r"--link\b", code):
                self.add(path, number, "links", "'--link' is forbidden")
        services = data.get("services") if isinstance(data, dict) else None
        if not isinstance(services, dict) or not services:
            self.add(path, 1, "compose", "no services defined")
            return
        if not isinstance(data.get("networks"), dict) or not data.get("networks"):
            self.add(path, 1, "networks", "no top-level 'networks:' declared (a docker network is mandatory)")
        volumes = data.get("volumes") if isinstance(data.get("volumes"), dict) else {}
        data_root = "/home/%s/data/" % self.login if self.login else "/home/"
        for name, spec in volumes.items():
            spec = spec or {}
            opts = spec.get("driver_opts") or {} if isinstance(spec, dict) else {}
            device = interpolate(opts.get("device"), env) if isinstance(opts, dict) else None
            line = volumes.lines.get(name, 0)
            if not device:
                self.add(path, line, "volume-path",
                         "volume '%s' has no driver_opts.device: its data must live under %s" % (name, data_root))
            elif not (device.rstrip("/") + "/").startswith(data_root):
                self.add(path, line, "volume-path",
                         "volume '%s' stores its data in %s, not under %s" % (name, device, data_root))
        for name, svc in services.items():
            self.check_service(path, services.lines.get(name, 0), name, svc or LineDict(), env, data_root)

    def check_service(self, path, line, name, svc, env, data_root):
        lines = svc.lines if isinstance(svc, LineDict) else {}
        image = interpolate(svc.get("image"), env)
        if not image:
            self.add(path, line, "image-name", "service '%s' has no 'image:'; name it '%s:<tag>'" % (name, name))
        else:
            repo, _, tag = image.rpartition(":") if ":" in image.split("/")[-1] else (image, "", "")
            if not tag or tag == "latest":
                self.add(path, lines.get("image", line), "latest",
                         "image '%s' of service '%s' uses the (implicit) latest tag" % (image, name))
            if repo.split("/")[-1] != name:
                self.add(path, lines.get("image", line), "image-name",
                         "image '%s' is not named after its service '%s'" % (image, name))
        if "build" not in svc:
            self.add(path, line, "dockerfile",
                     "service '%s' has no 'build:': every image must come from our own Dockerfile" % name)
        else:
            self.check_build_context(path, lines.get("build", line), name, svc.get("build"), env)
        restart = svc.get("restart")
        if restart in (None, "no", False):
            self.add(path, line, "restart", "service '%s' has no restart policy" % name)
        for key in ("command", "entrypoint"):
            if key in svc:
                value = svc[key]
                argv = value if isinstance(value, list) else ["/bin/sh", "-c", str(value)]
                self._check_command_text(path, lines.get(key, line), " ".join(map(str, argv)), "%s of %s" % (key, name))
                problem = _shell_pid1_problem([str(a) for a in argv])
                if problem:
                    self.add(path, lines.get(key, line), "shell-pid1", "%s: %s" % (name, problem))
        environment = svc.get("environment")
        if isinstance(environment, dict):
            items = [(k, v, environment.lines.get(k, line)) for k, v in environment.items()]
        else:
            env_lines = getattr(environment, "lines", [])
            items = [(e.split("=", 1) + [""])[:2] + [env_lines[i] if i < len(env_lines) else line]
                     for i, e in enumerate(environment or []) if isinstance(e, str)]
        for key, value, key_line in items:
            value = interpolate(value, env) if isinstance(value, str) else value
            if SECRET_NAME.search(str(key)) and value and not str(value).startswith("/run/secrets/") \
                    and not str(key).endswith("_FILE"):
                self.add(path, key_line, "secret-in-env",
                         "service '%s' gets credential %s as an environment variable: use a Docker secret" % (name, key))
        if name in MANDATORY:
            ports = svc.get("ports") or []
            for index, port in enumerate(ports):
                port_line = ports.lines[index] if isinstance(ports, LineList) else lines.get("ports", line)
                self.check_port(path, port_line, name, interpolate(port, env) if isinstance(port, str) else port)
        for vol in svc.get("volumes") or []:
            source = vol.split(":", 1)[0] if isinstance(vol, str) else (vol or {}).get("source", "")
            source = interpolate(source, env)
            if source.startswith(("/", ".", "~")) and name in ("wordpress", "mariadb") \
                    and not (source.rstrip("/") + "/").startswith(data_root) and not source.startswith("/run/"):
                self.add(path, lines.get("volumes", line), "volume-path",
                         "service '%s' mounts %s: its data must live under %s" % (name, source, data_root))

    def check_port(self, path, line, name, port):
        if isinstance(port, dict):
            target, published = str(port.get("target", "")), str(port.get("published", ""))
        else:
            parts = str(port).split("/")[0].split(":")
            target = parts[-1]
            published = parts[-2] if len(parts) >= 2 else target
        if name != "nginx":
            self.add(path, line, "ports", "service '%s' publishes port %s: only nginx may be reachable" % (name, port))
        elif target != "443" or published != str(self.https_port):
            self.add(path, line, "ports",
                     "nginx publishes %s: only %s->443 is allowed" % (port, self.https_port))

    def check_build_context(self, path, line, name, build, env):
        context = build if isinstance(build, str) else (build or {}).get("context", ".")
        dockerfile = "Dockerfile" if isinstance(build, str) else (build or {}).get("dockerfile", "Dockerfile")
        context = interpolate(context, env)
        full = os.path.normpath(os.path.join(os.path.dirname(path), context, dockerfile))
        if not os.path.isfile(full):
            self.add(path, line, "dockerfile", "service '%s': Dockerfile %s does not exist" % (name, _rel(self.root, full)))
        elif not any(i for i in _dockerfile_instructions(_text_lines(full))):
            self.add(full, 1, "dockerfile", "Dockerfile of '%s' is empty" % name)
        if isinstance(build, dict):
            for arg in build.get("args") or {}:
                if SECRET_NAME.search(str(arg)):
                    self.add(path, line, "secret-in-dockerfile",
                             "service '%s' passes credential %s as a build arg (it ends up in the image)" % (name, arg))

    # -- Dockerfiles
    def check_dockerfile(self, path):
        instructions = _dockerfile_instructions(_text_lines(path))
        stages = set()
        saw_from = False
        for number, instr, args in instructions:
            if instr == "FROM":
                saw_from = True
                words = args.split()
                image = next((w for w in words if not w.startswith("--")), "")
                if len(words) >= 3 and words[-2].lower() == "as":
                    stages.add(words[-1].lower())
                if image.lower() in stages:
                    continue
                self._check_from(path, number, image)
            elif instr in ("ARG", "ENV"):
                for name in _declared_names(args):
                    if SECRET_NAME.search(name):
                        self.add(path, number, "secret-in-dockerfile",
                                 "%s %s: credentials must not be in a Dockerfile (use Docker secrets)" % (instr, name))
            elif instr in ("CMD", "ENTRYPOINT"):
                argv = _exec_form(args)
                problem = _shell_pid1_problem(argv)
                if problem:
                    self.add(path, number, "shell-pid1", "%s %s" % (instr, problem))
                self._check_command_text(path, number, args, instr)
            elif instr == "RUN":
                if re.search(r"\b(wget|curl)\b.*\bwordpress\.org/latest", args):
                    self.add(path, number, "latest", "downloads WordPress 'latest'")
        if not saw_from:
            self.add(path, 1, "from", "no FROM instruction")

    def _check_from(self, path, number, image):
        base, _, tag = image.partition(":")
        if image.startswith("$"):
            self.add(path, number, "from", "FROM %s: use a literal base (debian:%s or alpine:%s.x)" % (image, self.debian, self.alpine))
            return
        if not tag or tag == "latest":
            self.add(path, number, "latest", "FROM %s uses the (implicit) latest tag" % image)
        if base == "debian":
            if tag.split("-")[0] != self.debian:
                self.add(path, number, "from",
                         "FROM %s: the base must be the penultimate stable Debian, debian:%s" % (image, self.debian))
        elif base == "alpine":
            if not (tag == self.alpine or tag.startswith(self.alpine + ".")):
                self.add(path, number, "from",
                         "FROM %s: the base must be the penultimate stable Alpine, alpine:%s.x" % (image, self.alpine))
        else:
            self.add(path, number, "from",
                     "FROM %s: only debian:%s or alpine:%s.x may be used, no ready-made image" % (image, self.debian, self.alpine))

    # -- scripts and Makefile
    def _check_command_text(self, path, number, text, where):
        for pattern, label in KEEPALIVE:
            if pattern.search(text):
                self.add(path, number, "keepalive", "%s uses '%s' to keep the container alive" % (where, label))
        if BACKGROUND.search(text):
            self.add(path, number, "background", "%s starts a process in the background with '&'" % where)

    def check_script(self, path, makefile=False):
        lines = _text_lines(path)
        has_exec = False
        for number, raw in enumerate(lines, 1):
            code = _code(raw)
            if not code.strip():
                continue
            for pattern, label in KEEPALIVE:
                if pattern.search(code):
                    self.add(path, number, "keepalive", "'%s' (hacky keep-alive or infinite loop)" % label)
            if re.search(r"--link\b", code):
                self.add(path, number, "links", "'--link' is forbidden")
            if re.search(r"--network[= ]host\b|--net[= ]host\b", code):
                self.add(path, number, "network-host", "host networking is forbidden")
            if not makefile and BACKGROUND.search(code):
                self.add(path, number, "background", "starts a process in the background with '&'")
            if re.match(r"\s*exec\s+\S", code):
                has_exec = True
        if not makefile and self._is_entrypoint(path) and not has_exec:
            self.add(path, len(lines), "shell-pid1",
                     "entrypoint script never 'exec's the daemon: the shell would stay PID 1")

    def _is_entrypoint(self, path):
        return "entrypoint" in os.path.basename(path).lower()

    def check_gitignore(self):
        secrets_dir = os.path.join(self.root, "secrets")
        if not os.path.isdir(secrets_dir):
            return
        ignore = os.path.join(self.root, ".gitignore")
        patterns = _text_lines(ignore) if os.path.isfile(ignore) else []
        if not any(p.strip().rstrip("/") in ("secrets", "/secrets", "secrets/*", "/secrets/*") for p in patterns):
            self.add(".gitignore", 0, "secrets-git", "secrets/ is not git-ignored")


def lint_tree(root, login=None, https_port=443, debian=PENULTIMATE_DEBIAN, alpine=PENULTIMATE_ALPINE):
    """Every violation of the Inception rules in the tree at ``root``."""
    return Linter(root, login=login, https_port=https_port, debian=debian, alpine=alpine).run()


def format_violation(v):
    return "%s:%s: [%s] %s" % (v.file, v.line, v.rule, v.message)
