# -*- coding: utf-8 -*-
"""Filters inception_stack_rollout_plan and inception_stack_unhealthy: which services a
roll-out recreates and the image each one runs now (kept to roll back to), and which
services are not up after it (playbooks/tasks/update_rollout.yml).

Documented in inception_stack_rollout_plan.yml and inception_stack_unhealthy.yml.
"""

from __future__ import annotations

from collections.abc import Sequence

from ansible.errors import AnsibleFilterError


def _rows(text, name, width):
    if not isinstance(text, str):
        raise AnsibleFilterError("%s: the input must be the text of the command (a string), not %s."
                                 % (name, type(text).__name__))
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != width or not fields[0]:
            raise AnsibleFilterError("%s: line %d is '%s', not %d tab-separated fields starting with a service."
                                     % (name, number, line, width))
        rows.append([field.strip() for field in fields])
    return rows


def rollout_plan(text, stale=()):
    """Lines '<service>\\t<image>\\t<id of the image its container runs>\\t<id of <image>>' (an
    empty id: no container, or no such image) and the services about to be rebuilt ->
    {'rolling': services compose will recreate (rebuilt, or whose image is not the one their
    container runs), 'keep': [{'service', 'image', 'id'}] the image each rolling service's
    container runs now}."""
    if isinstance(stale, str) or not isinstance(stale, Sequence):
        raise AnsibleFilterError("inception_stack_rollout_plan: stale must be the list of services to rebuild.")
    rolling, keep = [], []
    for service, image, running, current in _rows(text, "inception_stack_rollout_plan", 4):
        if service in stale or running != current:
            rolling.append(service)
            if running:
                keep.append({"service": service, "image": image, "id": running})
    return {"rolling": rolling, "keep": keep}


def unhealthy(text, services=()):
    """Lines '<service>\\t<state>\\t<health>' of `docker compose ps -a` and the services
    expected -> the services not running, or running with a healthcheck not (yet) healthy;
    an expected service without a container is one of them. Sorted."""
    if isinstance(services, str) or not isinstance(services, Sequence):
        raise AnsibleFilterError("inception_stack_unhealthy: services must be a list of service names.")
    rows = _rows(text, "inception_stack_unhealthy", 3)
    bad = {service for service, state, health in rows
           if state != "running" or health not in ("", "healthy")}
    bad |= set(services) - {row[0] for row in rows}
    return sorted(bad)


class FilterModule:
    def filters(self):
        return {
            "inception_stack_rollout_plan": rollout_plan,
            "inception_stack_unhealthy": unhealthy,
        }
