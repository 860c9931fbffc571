"""The package list for setuptools; all other metadata is in pyproject.toml.

Every package under convdesigner/ is found automatically, so a new subpackage cannot be left out of the
wheel; the top-level resources/ folder ships inside it as the package convdesigner.resources (see
[tool.setuptools.package-dir] and package-data in pyproject.toml).
"""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["convdesigner", "convdesigner.*"]), "convdesigner.resources"])
