# -*- coding: utf-8 -*-
"""Filters inception_stack_stale_images, which services' images must be (re)built, and
inception_stack_stale_networks, which of the project's networks must be recreated.

Documented in inception_stack_stale_images.yml and inception_stack_stale_networks.yml.
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


def _layers(image):
    return list(((image.get("RootFS") or {}).get("Layers")) or [])


def _base_layers(base):
    """The base image's layers, or None when no base is given (nothing to compare)."""
    if base is None or (isinstance(base, Mapping) and not base):
        return None
    if not isinstance(base, Mapping):
        raise AnsibleFilterError(
            "inception_stack_stale_images: base must be the base image's dict from docker_image_info"
            " (or empty), got %s." % type(base).__name__)
    layers = _layers(base)
    if not layers:
        raise AnsibleFilterError(
            "inception_stack_stale_images: base has no RootFS.Layers: give docker_image_info's dict of the base image.")
    return layers


def _current_images(images):
    """Map every tag of the existing images to their image dict."""
    current = {}
    for image in images:
        if not isinstance(image, Mapping):
            raise AnsibleFilterError(
                "inception_stack_stale_images: images must be docker_image_info's list of image dicts, got an item %r."
                % type(image).__name__)
        for tag in image.get("RepoTags") or []:
            current[tag] = image
    return current


def stale_images(services, config, images, tag, label=LABEL, base=None):
    """Return the services (in order) whose image <service>:<tag> is missing, whose ``label``
    differs from the one the compose file gives its build, or, when ``base`` is given, whose
    layers do not start with the base image's layers (built on an older base).

    services: list of service names; config: ``docker compose config --format json`` parsed;
    images: the ``images`` list returned by community.docker.docker_image_info;
    base: docker_image_info's dict of the image every Dockerfile starts FROM (or empty).
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
    base_layers = _base_layers(base)
    current = _current_images(images)
    stale = []
    for service in services:
        expected = _expected_label(config, service, label)
        image = current.get("%s:%s" % (service, tag))
        if image is None:
            stale.append(service)
            continue
        labels = (image.get("Config") or {}).get("Labels") or {}
        if str(labels.get(label, "")) != expected:
            stale.append(service)
        elif base_layers is not None and _layers(image)[:len(base_layers)] != base_layers:
            stale.append(service)
    return stale


def stale_networks(inspected, config):
    """The project's existing networks (``docker network inspect`` of them, parsed) whose IPv4
    subnets are not the ones the compose file declares (``docker compose config``, parsed),
    each as 'name (subnets, declared subnets)'. A network the compose file declares no
    subnet for never counts."""
    if not isinstance(inspected, list) or not all(isinstance(n, Mapping) for n in inspected):
        raise AnsibleFilterError("inception_stack_stale_networks: the input must be the parsed output of "
                                 "docker network inspect (a list of networks), got %s." % type(inspected).__name__)
    if not isinstance(config, Mapping):
        raise AnsibleFilterError("inception_stack_stale_networks: config must be the parsed output of "
                                 "docker compose config, got %s." % type(config).__name__)
    declared = {}
    for network in (config.get("networks") or {}).values():
        subnets = [c["subnet"] for c in ((network or {}).get("ipam") or {}).get("config") or [] if c.get("subnet")]
        if subnets:
            declared[network.get("name")] = subnets
    stale = []
    for network in inspected:
        name = network.get("Name")
        subnets = [c["Subnet"] for c in (network.get("IPAM") or {}).get("Config") or []
                   if c.get("Subnet") and ":" not in c["Subnet"]]
        if name in declared and subnets != declared[name]:
            stale.append("%s (%s, declared %s)" % (name, ", ".join(subnets) or "no subnet", ", ".join(declared[name])))
    return stale


class FilterModule:
    def filters(self):
        return {"inception_stack_stale_images": stale_images,
                "inception_stack_stale_networks": stale_networks}
