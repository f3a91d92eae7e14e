"""Packaging: one version, one list of dependencies (pyproject and environment.yml agree),
a licence file that matches, and no public function hiding a submodule."""
from __future__ import annotations

import importlib
import pkgutil
import re
import tomllib
import types
from pathlib import Path

import pytest
import yaml

import hepcourse

REPO = Path(__file__).resolve().parent.parent
EXTRAS = ("test", "book", "export", "notebook", "jets", "beam", "anomaly")
CONDA_NAMES = {"torch": "pytorch-cpu"}
#: Packages environment.yml takes from PyPI (its pip section): not on conda-forge, or another
#: package under the name there (conda-forge's fastjet is FastJet's own SWIG bindings).
PIP_IN_CONDA = {"pythia8mc", "fastjet", "zuko"}


def _split(requirement: str) -> tuple[str, str]:
    name, spec = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement).groups()
    return name.lower(), spec.replace(" ", "")


def test_environment_yml_carries_the_packages_and_ranges_of_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = dict(_split(r) for r in project["dependencies"])
    for extra in EXTRAS:
        wanted.update(_split(r) for r in project["optional-dependencies"][extra])
    wanted = {CONDA_NAMES.get(k, k): v for k, v in wanted.items()}
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    have = dict(_split(d) for d in env["dependencies"] if isinstance(d, str))
    have.pop("python"), have.pop("pip")
    pip = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    from_pip = dict(_split(r) for section in pip for r in section)
    assert set(from_pip) == PIP_IN_CONDA
    assert not set(have) & set(from_pip)
    assert {**have, **from_pip} == wanted


def test_the_makefile_installs_every_extra():
    makefile = (REPO / "Makefile").read_text()
    assert f".[{','.join(EXTRAS)}]" in makefile


def test_no_exact_pins_in_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    every = list(project["dependencies"]) + [r for e in project["optional-dependencies"].values() for r in e]
    assert not [r for r in every if "==" in r]


def test_version_comes_from_the_installed_metadata():
    from importlib.metadata import version

    assert hepcourse.__version__ == version("hepcourse")
    assert tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"] == hepcourse.__version__


def test_licence_file_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["license"] == "BSD-3-Clause"
    assert "BSD 3-Clause License" in (REPO / "LICENSE").read_text()


def _submodules():
    for info in pkgutil.walk_packages(hepcourse.__path__, "hepcourse."):
        if info.name.endswith("__main__"):
            continue
        yield info.name


@pytest.mark.parametrize("name", sorted(_submodules()))
def test_every_submodule_imports_as_a_module(name):
    """`import hepcourse.simulate.pid as m` once gave a function: a package bound a
    function to the name of its own submodule. Every submodule must import as a module."""
    module = importlib.import_module(name)
    parent, _, child = name.rpartition(".")
    bound = getattr(importlib.import_module(parent), child)
    assert isinstance(module, types.ModuleType)
    assert bound is module, f"{parent}.{child} is {bound!r}, which hides the submodule {name}"


def test_no_package_file_is_longer_than_400_lines():
    long = {str(p.relative_to(REPO)): n for p in (REPO / "hepcourse").rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 400}
    assert not long
