"""Molecule's scenarios run what they name: each verifier's additional_files_or_dirs is
resolved against its directory, and Molecule silently drops a path that matches nothing."""

import glob
import os
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCENARIOS = sorted(os.path.basename(os.path.dirname(p)) for p in glob.glob(os.path.join(ROOT, "molecule", "*", "molecule.yml")))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_additional_test_path_exists(scenario):
    base = os.path.join(ROOT, "molecule", scenario)
    with open(os.path.join(base, "molecule.yml")) as handle:
        verifier = (yaml.safe_load(handle) or {}).get("verifier") or {}
    directory = os.path.normpath(os.path.join(base, verifier.get("directory", "tests")))
    for path in verifier.get("additional_files_or_dirs", []):
        assert glob.glob(os.path.join(directory, path)), "%s: %s matches nothing under %s" % (
            scenario, path, os.path.relpath(directory, ROOT))


def test_make_test_runs_scenarios_that_exist():
    with open(os.path.join(ROOT, "Makefile")) as handle:
        line = next(line for line in handle if line.startswith("SCENARIOS"))
    named = line.split("=", 1)[1].split()
    assert named and set(named) <= set(SCENARIOS), named


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if os.path.isdir(os.path.join(ROOT, "molecule", s, "tests"))])
def test_a_role_scenario_collects_its_checks_alone(scenario):
    """make test runs these checks inside fleet only: alone, they must still collect."""
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_ENGINE_HOSTS"}
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           os.path.join("molecule", scenario, "tests")], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
