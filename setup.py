"""Packages and package data (the rest of the metadata is in setup.cfg).

The templates and migrations stay at the top of the repository (where Flask-Migrate and the designers
expect them) and are shipped in the wheel as ``mentoring/templates`` and ``mentoring/migrations``;
``mentoring._resource`` finds them in either place. Data folders are namespace packages, so setuptools
neither warns about them nor leaves them out.
"""
from setuptools import find_namespace_packages, setup

MAPPED = {"mentoring.templates": "templates", "mentoring.migrations": "migrations"}
DATA = ["*.html", "*.css", "*.js", "*.svg", "*.md", "*.json", "*.po", "*.mo", "*.pot", "*.ini", "*.mako",
        "README", "*.LICENSE", "*.txt"]

packages = find_namespace_packages(include=["mentoring", "mentoring.*", "matching", "matching.*"],
                                   exclude=["*.__pycache__"])
for package, directory in MAPPED.items():
    packages += [package] + [f"{package}.{sub}" for sub in find_namespace_packages(where=directory)
                             if "__pycache__" not in sub]

setup(
    packages=packages,
    package_dir={"": ".", **MAPPED},
    package_data={"": DATA},
    include_package_data=False,
)
