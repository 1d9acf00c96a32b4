"""Installation script for the trirl_isaac extension; all metadata comes from extension.toml."""

import os
import tomllib

from setuptools import find_packages, setup

ROOT = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(ROOT, "extension.toml"), "rb") as f:
    EXTENSION = tomllib.load(f)
PACKAGE = EXTENSION["package"]
SOURCE = os.path.join("source", PACKAGE["python_package"])

setup(
    name=PACKAGE["python_package"],
    version=PACKAGE["version"],
    description=PACKAGE["description"],
    keywords=PACKAGE["keywords"],
    license="BSD-3-Clause",
    python_requires=PACKAGE["python_requires"],
    install_requires=[f"{name}{spec}" for name, spec in EXTENSION["python_dependencies"].items()],
    package_dir={"": SOURCE},
    packages=find_packages(where=SOURCE),
    # data/motions and data/robots are links to the repository's top-level folders: the wheel holds the files
    package_data={"trirl_isaac": ["py.typed", "assets/data/**/*", "data/motions/*", "data/robots/**/*"]},
    entry_points={group: list(points) for group, points in EXTENSION["python_entry_points"].items()},
    zip_safe=False,
    classifiers=[
        "Natural Language :: English",
        "Programming Language :: Python :: 3.12",
        "Isaac Sim :: 6.0",
    ],
)
