"""General instructions: the project's files follow the subject, one check per
rule of the Inception linter (roles/inception_project/module_utils/inception_rules.py)
over the project as it is on the VM."""

import pytest

import inception_rules

SECTION = "2. General instructions"


@pytest.fixture(scope="module")
def violations(project_tree, site):
    return inception_rules.lint_tree(project_tree, login=site.login, https_port=site.https_port)


@pytest.mark.by_hand("tools/inception-lint <a copy of {project}> --login {login}  # on the controller, from this repository")
@pytest.mark.parametrize("rule", sorted(inception_rules.RULES))
def test_project_follows_rule(violations, rule):
    found = [inception_rules.format_violation(v) for v in violations if v.rule == rule]
    assert not found, "%s: %s" % (inception_rules.RULES[rule], " | ".join(found))


@pytest.mark.by_hand("ls -l {project}/Makefile")
def test_makefile_at_the_root(host, site):
    assert host.file("%s/Makefile" % site.project).is_file


@pytest.mark.by_hand("cat {project}/srcs/requirements/{service}/Dockerfile")
@pytest.mark.parametrize("service", ["nginx", "wordpress", "mariadb"])
def test_one_non_empty_dockerfile_per_service(host, site, service):
    dockerfile = host.file("%s/srcs/requirements/%s/Dockerfile" % (site.project, service))
    assert dockerfile.is_file, "no srcs/requirements/%s/Dockerfile" % service
    instructions = [line for line in dockerfile.content_string.splitlines()
                    if line.strip() and not line.lstrip().startswith("#")]
    assert instructions and instructions[0].split()[0].upper() in ("FROM", "ARG"), "empty Dockerfile for %s" % service
