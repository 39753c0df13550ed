# -*- coding: utf-8 -*-
"""Filters of playbooks/update.yml: the packages in each image, the updates pending for
them, and what an update changed.

Documented in the inception_stack_package*.yml files next to this one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

# The WordPress files of the wordpress image are unpacked from Debian's `wordpress` package
# (not installed with dpkg). The image records that package's version, which the snapshot
# lists as `wordpress` like any package; an image built before that has only the files'
# $wp_version, listed as `wordpress-core` and compared with the upstream part of the
# package's candidate (6.1.9+dfsg1-0+deb12u1 -> 6.1.9).
CORE = "wordpress-core"
CORE_PACKAGE = "wordpress"
_HEADER = re.compile(r"^== (\S+)\s*$")


def _text(value, what):
    if not isinstance(value, str):
        raise AnsibleFilterError("%s must be the command's stdout (a string), got %s." % (what, type(value).__name__))
    return value


def _packages_arg(packages, what):
    if not isinstance(packages, Mapping) or not all(isinstance(v, Mapping) for v in packages.values()):
        raise AnsibleFilterError(
            "%s must be the output of inception_stack_packages (image -> {package: version}), got %s."
            % (what, type(packages).__name__))
    return packages


def packages(stdout):
    """Parse ``== <image>`` headers each followed by ``<package> <version>`` lines."""
    result = {}
    image = None
    for number, line in enumerate(_text(stdout, "inception_stack_packages: the input").splitlines(), 1):
        if not line.strip():
            continue
        header = _HEADER.match(line)
        if header:
            image = header.group(1)
            result.setdefault(image, {})
            continue
        fields = line.split()
        if image is None or len(fields) != 2:
            raise AnsibleFilterError(
                "inception_stack_packages: line %d is %r: expected '== <image>' then '<package> <version>' lines."
                % (number, line[:80]))
        result[image][fields[0]] = fields[1]
    return result


def package_names(images):
    """Every package name of every image (sorted), as apt knows it."""
    names = set()
    for pkgs in _packages_arg(images, "inception_stack_package_names: the input").values():
        names.update(CORE_PACKAGE if name == CORE else name for name in pkgs)
    return sorted(names)


def _candidates(policy):
    """``apt-cache policy NAMES...`` -> {name: candidate} (packages apt cannot install are left out)."""
    candidates = {}
    name = None
    for line in _text(policy, "inception_stack_pending_updates: policy").splitlines():
        if line and not line[0].isspace() and line.rstrip().endswith(":"):
            name = line.rstrip()[:-1].split(":")[0]
        elif name and line.strip().startswith("Candidate:"):
            value = line.split(":", 1)[1].strip()
            if value and value != "(none)":
                candidates[name] = value
    return candidates


def _upstream(version):
    version = version.split(":", 1)[-1]
    return re.split(r"[+~-]", version, maxsplit=1)[0]


def pending_updates(images, policy):
    """{image: ["<package> <installed> -> <candidate>", ...]} for the images with a newer package."""
    candidates = _candidates(policy)
    images = _packages_arg(images, "inception_stack_pending_updates: the input")
    newest = {}
    for image, pkgs in images.items():
        newest[image] = {}
        for name, installed in pkgs.items():
            if name == CORE:
                candidate = candidates.get(CORE_PACKAGE)
                newest[image][name] = _upstream(candidate) if candidate else installed
            else:
                newest[image][name] = candidates.get(name, installed)
    return package_changes(images, newest)


def package_changes(before, after):
    """{image: ["<package> <old> -> <new>", "+ <package> <version>", "- <package> <version>"]}
    for each image whose packages differ (an image only in ``after`` counts as all added)."""
    before = _packages_arg(before, "inception_stack_package_changes: the input")
    after = _packages_arg(after, "inception_stack_package_changes: after")
    changes = {}
    for image in sorted(set(before) | set(after)):
        old, new = before.get(image, {}), after.get(image, {})
        lines = []
        for name in sorted(set(old) | set(new)):
            if name not in new:
                lines.append("- %s %s" % (name, old[name]))
            elif name not in old:
                lines.append("+ %s %s" % (name, new[name]))
            elif old[name] != new[name]:
                lines.append("%s %s -> %s" % (name, old[name], new[name]))
        if lines:
            changes[image] = lines
    return changes


def change_report(changes, images):
    """One line per distinct change with the images it happened in ("every image" when in all
    of ``images``), sorted by package: a short report of inception_stack_package_changes."""
    if not isinstance(changes, Mapping) or not all(isinstance(v, (list, tuple)) for v in changes.values()):
        raise AnsibleFilterError("inception_stack_change_report: the input must be the output of "
                                 "inception_stack_package_changes (image -> lines), got %s." % type(changes).__name__)
    if isinstance(images, (str, bytes)) or not isinstance(images, (list, tuple)):
        raise AnsibleFilterError("inception_stack_change_report: images must be the list of every image compared, got %s."
                                 % type(images).__name__)
    where = {}
    for image, lines in changes.items():
        for line in lines:
            where.setdefault(line, []).append(image)
    everywhere = set(images)
    report = []
    for line in sorted(where, key=lambda text: (text.lstrip("+- "), text)):
        found = sorted(where[line])
        report.append("%s (%s)" % (line, "every image" if everywhere and set(found) >= everywhere else ", ".join(found)))
    return report


class FilterModule:
    def filters(self):
        return {
            "inception_stack_packages": packages,
            "inception_stack_package_names": package_names,
            "inception_stack_pending_updates": pending_updates,
            "inception_stack_package_changes": package_changes,
            "inception_stack_change_report": change_report,
        }
