"""Every documented `role:part` tag works alone on a converged VM, as the role READMEs
promise: the play succeeds and changes nothing; so does the whole site.yml in check mode."""

import pytest

from role_docs import ROLES, documented_tags

SECTION = "Roles: every role:part tag alone"
PART_TAGS = sorted(tag for role in ROLES for tag in documented_tags(role) if ":" in tag)


@pytest.mark.parametrize("tag", PART_TAGS)
def test_tag_runs_alone_and_changes_nothing(playbook, host, tag):
    rc, out, recap = playbook("site.yml", "--tags", tag)
    assert rc == 0, "site.yml --tags %s failed:\n%s" % (tag, out[-3000:])
    stats = recap[host.backend.host]
    assert stats["changed"] == 0, "site.yml --tags %s changed %d task(s) on a converged VM:\n%s" % (tag, stats["changed"], out[-3000:])


def test_check_mode_on_a_converged_vm_changes_nothing(playbook, host):
    rc, out, recap = playbook("site.yml", "--check")
    assert rc == 0, "site.yml --check failed:\n%s" % out[-3000:]
    stats = recap[host.backend.host]
    assert stats["changed"] == 0, "site.yml --check reports %d change(s) on a converged VM:\n%s" % (stats["changed"], out[-3000:])
