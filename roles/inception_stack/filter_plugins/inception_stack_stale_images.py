# -*- coding: utf-8 -*-
"""Filter inception_stack_stale_images: which services' images must be (re)built.

Documented in inception_stack_stale_images.yml next to this file.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

LABEL = "org.inception.context"


def _expected_label(config, service, label):
    """The label the compose file asks for (build.labels, a mapping or a KEY=VALUE list); '' if none."""
    spec = config["services"].get(service)
    if not isinstance(spec, Mapping):
        raise AnsibleFilterError(
            "inception_stack_stale_images: service %r is not in the compose file (services: %s)."
            % (service, ", ".join(sorted(config["services"]))))
    labels = (spec.get("build") or {}).get("labels") or {}
    if isinstance(labels, Mapping):
        return str(labels.get(label, ""))
    for item in labels:
        key, _, value = str(item).partition("=")
        if key == label:
            return value
    return ""


def _current_labels(images, label):
    """Map every tag of the existing images to their label ('' if unlabelled)."""
    current = {}
    for image in images:
        if not isinstance(image, Mapping):
            raise AnsibleFilterError(
                "inception_stack_stale_images: images must be docker_image_info's list of image dicts, got an item %r."
                % type(image).__name__)
        labels = (image.get("Config") or {}).get("Labels") or {}
        for tag in image.get("RepoTags") or []:
            current[tag] = str(labels.get(label, ""))
    return current


def stale_images(services, config, images, tag, label=LABEL):
    """Return the services (in order) whose image <service>:<tag> is missing or whose ``label``
    differs from the one the compose file gives its build.

    services: list of service names; config: ``docker compose config --format json`` parsed;
    images: the ``images`` list returned by community.docker.docker_image_info.
    """
    if isinstance(services, (str, bytes)) or not isinstance(services, (list, tuple)) \
            or not all(isinstance(s, str) and s for s in services):
        raise AnsibleFilterError("inception_stack_stale_images: the input must be a list of service names, got %r." % (services,))
    if not isinstance(config, Mapping) or not isinstance(config.get("services"), Mapping):
        raise AnsibleFilterError(
            "inception_stack_stale_images: config must be the parsed output of `docker compose config --format json`"
            " (a mapping with 'services').")
    if isinstance(images, (str, bytes, Mapping)) or not isinstance(images, (list, tuple)):
        raise AnsibleFilterError("inception_stack_stale_images: images must be a list (docker_image_info's images), got %s."
                                 % type(images).__name__)
    if not isinstance(tag, str) or not tag:
        raise AnsibleFilterError("inception_stack_stale_images: tag must be a non-empty string, got %r." % (tag,))
    current = _current_labels(images, label)
    stale = []
    for service in services:
        expected = _expected_label(config, service, label)
        if current.get("%s:%s" % (service, tag)) != expected:
            stale.append(service)
    return stale


class FilterModule:
    def filters(self):
        return {"inception_stack_stale_images": stale_images}
