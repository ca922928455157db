"""Builds the dependency layer: ``python -m infra.build_layer build/dependencies`` (``make layer``).

The project's runtime dependencies (``pyproject.toml``) as wheels for the Lambda runtime and architecture
the stack uses (``infra.constructs.layers``), installed from PyPI into ``<target>/python``. What the
Lambda Python runtime already provides — boto3 and the packages that come with it — is left out: other
packages pull in botocore (PynamoDB, the X-Ray SDK), and a second copy in the layer would shadow the
runtime's boto3 with a botocore it was not released with.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath")
"""Packages of the Lambda Python runtime that the layer must not carry."""
PLATFORM = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def layer_requirements(pyproject: Path = REPO_ROOT / "pyproject.toml") -> list[str]:
    dependencies: list[str] = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    return [d for d in dependencies if _name(d) not in RUNTIME_PROVIDED]


def runtime_target() -> tuple[str, str]:
    """(Python version, pip platform) of the stack's runtime, e.g. ("3.13", "manylinux2014_aarch64")."""
    from infra.constructs.layers import ARCHITECTURE, RUNTIME

    version = RUNTIME.name.removeprefix("python")
    return version, PLATFORM[ARCHITECTURE.name]


def prune(site: Path) -> list[str]:
    """Remove the runtime's own packages (and installed scripts) that dependencies pulled in."""
    removed = []
    for entry in sorted(site.iterdir()):
        name = entry.name.lower()
        package = name.split("-", 1)[0] if name.endswith((".dist-info", ".egg-info")) else name
        if package in RUNTIME_PROVIDED or entry.name == "bin":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            removed.append(entry.name)
    return removed


def build(target: Path) -> None:
    version, platform = runtime_target()
    site = target / "python"
    shutil.rmtree(target, ignore_errors=True)
    site.mkdir(parents=True)
    requirements = target.parent / "layer-requirements.txt"
    requirements.write_text("\n".join(layer_requirements()) + "\n")
    subprocess.run(  # noqa: S603 - pip of this interpreter, fixed arguments
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-compile",
            "--platform", platform, "--implementation", "cp", "--python-version", version,
            "--only-binary=:all:", "--target", str(site), "-r", str(requirements),
        ],
        check=True,
    )  # fmt: skip
    removed = prune(site)
    print(f"Layer for Python {version} ({platform}) in {site}; left to the runtime: {', '.join(removed)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("target", type=Path, nargs="?", default=REPO_ROOT / "build" / "dependencies")
    build(parser.parse_args(argv).target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
