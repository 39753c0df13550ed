#!/usr/bin/python
# -*- coding: utf-8 -*-
"""Ansible module: make a Debian base image present on the local Docker engine."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: debian_rootfs_image
short_description: Make a Debian base image (e.g. debian:bookworm) present on the local engine
description:
  - C(auto) keeps an existing image, else imports a cached rootfs tarball built earlier by this
    module, else tries a registry pull, else builds the root filesystem with debootstrap
    (Debian's mirror) and streams it into the engine, labelled with its build date, source
    and recipe hash.
  - Idempotent; reports C(changed) only when an image was imported, pulled or built; supports check mode.
options:
  name:
    description: Image reference with an explicit tag (C(latest) is refused).
    type: str
    default: debian:bookworm
  suite:
    description: Debian codename to debootstrap.
    type: str
    default: bookworm
  source:
    description:
      - C(auto) as described above; C(keep) requires the image to exist; C(pull) only pulls;
        C(build) rebuilds with debootstrap unless an image with the same recipe hash exists.
    type: str
    choices: [auto, keep, pull, build]
    default: auto
  mirror:
    description: Debian mirror for debootstrap.
    type: str
    default: http://deb.debian.org/debian
  variant:
    description: debootstrap variant.
    type: str
    default: minbase
  include:
    description: Extra packages for debootstrap.
    type: list
    elements: str
    default: []
  cmd:
    description: Default command of the image.
    type: str
    default: bash
  slim:
    description:
      - Leave docs, man pages, locales and apt caches out of the image, and configure dpkg and apt
        so that packages installed later in images built on it leave them out too (part of the recipe hash).
    type: bool
    default: true
  updates:
    description:
      - Write C(<suite>-updates) and C(<suite>-security) next to C(<suite>) in the image's
        C(/etc/apt/sources.list) and upgrade the tree from them at build time, so the image and
        every image built on it get Debian's security and point-release fixes (part of the recipe hash).
    type: bool
    default: true
  security_mirror:
    description: Debian security archive for C(<suite>-security) (with O(updates)).
    type: str
    default: http://deb.debian.org/debian-security
  refresh:
    description:
      - Build from the mirror even when the image is present (the latest packages), then keep the
        present image if it carries the same recipe hash and the same installed package versions
        (label C(org.inception.rootfs.packages)); C(changed) only when an image was imported.
      - What C(playbooks/update.yml) uses; O(force) always replaces the image.
    type: bool
    default: false
  cache_dir:
    description: Where the built rootfs tarball is kept (for offline re-imports after a wipe). Empty disables it.
    type: path
    default: /var/cache/inception
  force:
    description: Rebuild even if the image is present.
    type: bool
    default: false
  work_dir:
    description: Where debootstrap builds the tree; must not be mounted noexec (C(/tmp) often is).
    type: path
    default: /var/tmp
requirements:
  - debootstrap (for builds)
  - Docker SDK for Python
author: inception maintainers
"""

EXAMPLES = r"""
- name: Make debian:bookworm present
  debian_rootfs_image:
    name: debian:bookworm
    suite: bookworm
"""

RETURN = r"""
action:
  description:
    - What was done, one of C(kept), C(imported), C(pulled), C(built); C(current) when a refresh
      found the present image up to date.
  returned: always
  type: str
image_id:
  description: Image id (empty in check mode when it would be created).
  returned: always
  type: str
recipe_hash:
  description: Content hash of the build recipe (the cache key).
  returned: always
  type: str
tarball:
  description: Path of the cached rootfs tarball, if any.
  returned: always
  type: str
previous_image_id:
  description: Id of the image present before (empty if none).
  returned: always
  type: str
pull_error:
  description: First line of the registry's error when C(auto) tried a pull and fell back to debootstrap.
  returned: when a pull failed and the image was built instead
  type: str
  sample: "Get https://registry-1.docker.io/v2/: dial tcp: lookup registry-1.docker.io: no such host"
"""

import os
import shutil
import subprocess

from ansible.module_utils.basic import AnsibleModule

try:
    from ansible.module_utils import rootfs_image
except ImportError:  # pragma: no cover - running outside Ansible
    import rootfs_image  # type: ignore

try:
    import docker
    DOCKER_IMPORT_ERROR = None
except ImportError as exc:
    DOCKER_IMPORT_ERROR = exc


def docker_import_problem(exc):
    """Say what is missing: the SDK itself, or something the SDK needs."""
    missing = getattr(exc, "name", None) or ""
    if missing == "docker" or missing.startswith("docker."):
        return "the Docker SDK for Python is missing on the target: apt-get install python3-docker"
    return "the Docker SDK for Python is installed but cannot be imported (%s): repair python3-docker and its dependencies" % exc


def tarball_path(cache_dir, recipe):
    if not cache_dir:
        return ""
    return os.path.join(cache_dir, "debian-%s-%s.tar" % (recipe["suite"], rootfs_image.recipe_hash(recipe)))


def build(api, reference, recipe, tar_path, work_dir, keep_if_same=None):
    """debootstrap, then import through the cached tarball (or a temporary one).

    ``keep_if_same``: the present image's attributes; when it has the same recipe hash and
    the same installed packages as the new tree, nothing is imported and None is returned.
    """
    target = rootfs_image.build_rootfs(recipe, workdir=work_dir)
    try:
        packages = rootfs_image.installed_packages(target)
        if keep_if_same and rootfs_image.same_packages(keep_if_same, recipe, packages):
            return None
        changes = rootfs_image.import_changes(recipe, rootfs_image.image_labels(recipe, packages=packages))
        return rootfs_image.import_rootfs(api, target, reference, changes, tar_path=tar_path or None, workdir=work_dir)
    finally:
        shutil.rmtree(target, ignore_errors=True)


def inspect(api, reference):
    try:
        return api.inspect_image(reference)
    except docker.errors.ImageNotFound:
        return None


def run(module):
    p = module.params
    try:
        rootfs_image.split_reference(p["name"])
        recipe = rootfs_image.make_recipe(
            p["suite"], mirror=p["mirror"], variant=p["variant"], include=p["include"],
            changes=['CMD ["%s"]' % p["cmd"]], slim=p["slim"], updates=p["updates"],
            security_mirror=p["security_mirror"],
        )
    except rootfs_image.RecipeError as exc:
        module.fail_json(msg=str(exc))
    digest = rootfs_image.recipe_hash(recipe)
    tar_path = tarball_path(p["cache_dir"], recipe)
    result = dict(changed=False, action="kept", image_id="", recipe_hash=digest, tarball=tar_path,
                  previous_image_id="")

    api = docker.APIClient(version="auto", timeout=600)
    attrs = inspect(api, p["name"])
    result["previous_image_id"] = attrs["Id"] if attrs else ""
    source = p["source"]
    if p["refresh"] and not p["force"]:
        return refresh(module, api, attrs, recipe, tar_path, result)
    if attrs and not p["force"] and (source in ("auto", "keep", "pull") or rootfs_image.is_cached(attrs, recipe)):
        result["image_id"] = attrs["Id"]
        return result
    if source == "keep":
        module.fail_json(msg="image %s is not present and base_image_source is 'keep': "
                             "use 'auto' or 'build' to create it" % p["name"], **result)

    result["changed"] = True
    if source == "auto" and tar_path and os.path.isfile(tar_path) and not p["force"]:
        result["action"] = "imported"
    elif source in ("auto", "pull"):
        result["action"] = "pulled"
    else:
        result["action"] = "built"
    if module.check_mode:
        return result

    if result["action"] == "imported":
        changes = rootfs_image.import_changes(recipe, rootfs_image.image_labels(recipe))
        result["image_id"] = rootfs_image.import_tarball(api, tar_path, p["name"], changes)
        return result
    if result["action"] == "pulled":
        repo, tag = rootfs_image.split_reference(p["name"])
        try:
            api.pull(repo, tag=tag)
            result["image_id"] = api.inspect_image(p["name"])["Id"]
            return result
        except docker.errors.APIError as exc:
            if source == "pull":
                module.fail_json(msg="pulling %s failed: %s" % (p["name"], exc), **result)
            result["pull_error"] = str(exc).splitlines()[0][:300]
    result["action"] = "built"
    try:
        result["image_id"] = build(api, p["name"], recipe, tar_path, p["work_dir"])
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        module.fail_json(msg="building %s with debootstrap failed: %s" % (p["name"], exc), **result)
    return result


def refresh(module, api, attrs, recipe, tar_path, result):
    """Build from the mirror; keep the present image when nothing in it would change."""
    p = module.params
    if p["source"] in ("keep", "pull"):
        module.fail_json(msg="refresh builds with debootstrap: base_image_source is '%s'; "
                             "use 'auto' or 'build' with base_image_refresh" % p["source"], **result)
    if module.check_mode:  # whether the packages changed is only known after a build
        result.update(changed=attrs is None or not rootfs_image.is_cached(attrs, recipe),
                      action="built", image_id=attrs["Id"] if attrs else "")
        return result
    try:
        image_id = build(api, p["name"], recipe, tar_path, p["work_dir"], keep_if_same=attrs)
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        module.fail_json(msg="building %s with debootstrap failed: %s" % (p["name"], exc), **result)
    if image_id is None:
        result.update(action="current", image_id=attrs["Id"])
    else:
        result.update(changed=True, action="built", image_id=image_id)
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", default="debian:bookworm"),
            suite=dict(type="str", default="bookworm"),
            source=dict(type="str", default="auto", choices=["auto", "keep", "pull", "build"]),
            mirror=dict(type="str", default=rootfs_image.DEFAULT_MIRROR),
            variant=dict(type="str", default="minbase"),
            include=dict(type="list", elements="str", default=[]),
            cmd=dict(type="str", default="bash"),
            slim=dict(type="bool", default=True),
            updates=dict(type="bool", default=True),
            security_mirror=dict(type="str", default=rootfs_image.DEFAULT_SECURITY_MIRROR),
            refresh=dict(type="bool", default=False),
            cache_dir=dict(type="path", default="/var/cache/inception"),
            force=dict(type="bool", default=False),
            work_dir=dict(type="path", default="/var/tmp"),
        ),
        supports_check_mode=True,
    )
    if DOCKER_IMPORT_ERROR is not None:
        module.fail_json(msg=docker_import_problem(DOCKER_IMPORT_ERROR))
    module.exit_json(**run(module))


if __name__ == "__main__":
    main()
