# -*- coding: utf-8 -*-
"""Filters inception_stack_tls_files, inception_stack_tls_consumers and inception_stack_tls_restarts:
the certificate and key files, which containers serve them, and which of them started before
they were last written.

nginx and vsftpd read the certificate and its key (Docker secrets, bind-mounted files)
when they start, and compose does not recreate a container when a secret file's content
changes: a renewed certificate only takes effect once its readers restart.
Documented in inception_stack_tls_files.yml, inception_stack_tls_consumers.yml and
inception_stack_tls_restarts.yml.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

TLS_SECRETS = ("tls_certificate", "tls_key")


def _secret_sources(spec):
    """The secrets a compose service mounts (short string or long mapping syntax)."""
    for item in (spec or {}).get("secrets") or []:
        yield item.get("source") if isinstance(item, Mapping) else str(item)


def tls_files(config, secrets=TLS_SECRETS):
    """The files of the compose file's secrets named in ``secrets`` (in the file's order)."""
    if not isinstance(config, Mapping):
        raise AnsibleFilterError(
            "inception_stack_tls_files: the input must be the parsed output of"
            " `docker compose config --format json` (a mapping).")
    wanted = set(secrets)
    return [spec["file"] for name, spec in (config.get("secrets") or {}).items()
            if name in wanted and isinstance(spec, Mapping) and "file" in spec]


def tls_consumers(config, secrets=TLS_SECRETS):
    """The services (in the compose file's order) that mount one of ``secrets``."""
    if not isinstance(config, Mapping) or not isinstance(config.get("services"), Mapping):
        raise AnsibleFilterError(
            "inception_stack_tls_consumers: the input must be the parsed output of"
            " `docker compose config --format json` (a mapping with 'services').")
    wanted = set(secrets)
    return [name for name, spec in config["services"].items()
            if isinstance(spec, Mapping) and wanted & set(_secret_sources(spec))]


def _started_at(value):
    """Seconds since the epoch of Docker's State.StartedAt (RFC 3339, UTC, nanoseconds)."""
    try:
        when = datetime.datetime.strptime(str(value)[:19], "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        raise AnsibleFilterError(
            "inception_stack_tls_restarts: State.StartedAt %r is not an RFC 3339 date." % (value,))
    return when.replace(tzinfo=datetime.timezone.utc).timestamp()


def tls_restarts(containers, files):
    """The services whose running container started before the newest of ``files`` was
    written: they still serve the previous certificate.

    containers: the ``results`` of community.docker.docker_container_info looped over the
    services (``item`` = service); files: the ``results`` of ansible.builtin.stat looped
    over the certificate and the key. A missing container is left to compose; a missing
    file changes nothing (the project role creates both before the stack starts).
    """
    for name, value in (("containers", containers), ("files", files)):
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (list, tuple)) \
                or not all(isinstance(item, Mapping) for item in value):
            raise AnsibleFilterError(
                "inception_stack_tls_restarts: %s must be the 'results' list of a looped task, got %r."
                % (name, type(value).__name__))
    written = [float(item["stat"]["mtime"]) for item in files
               if (item.get("stat") or {}).get("exists") and "mtime" in item["stat"]]
    if not written:
        return []
    newest = int(max(written))  # StartedAt is compared to the second
    stale = []
    for item in containers:
        container = item.get("container") if item.get("exists") else None
        if not container:
            continue
        state = container.get("State") or {}
        if not state.get("Running"):
            continue
        if _started_at(state.get("StartedAt", "")) < newest:
            stale.append(item.get("item"))
    return stale


class FilterModule:
    def filters(self):
        return {
            "inception_stack_tls_files": tls_files,
            "inception_stack_tls_consumers": tls_consumers,
            "inception_stack_tls_restarts": tls_restarts,
        }
