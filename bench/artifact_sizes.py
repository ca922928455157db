"""Deployment artifact sizes against Lambda's limits: ``python -m bench.artifact_sizes`` (``make sizes``).

Every code asset the stack deploys — the dependency layer (``make layer``), the shared-code layer and each
function's folder — zipped (as CDK uploads it) and unzipped, with what CDK leaves out left out. Lambda
allows 250 MB unzipped for a function with all its layers, and 50 MB zipped for a direct upload.
Exits with 1 when a limit is exceeded or the dependency layer has not been built.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import zipfile
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

from infra.catalog import ASSET_EXCLUDES, FUNCTIONS

REPO_ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
"""Sizes are in binary units (1 MB = 1024 KB = 1,048,576 bytes), as Lambda counts its limits."""
UNZIPPED_LIMIT = 250 * MB
"""A function and all its layers, unzipped."""
ZIPPED_LIMIT = 50 * MB
"""One deployment package uploaded directly."""


@dataclass(frozen=True)
class AssetSize:
    name: str
    path: Path
    files: int
    unzipped: int
    zipped: int


def excluded(relative: str) -> bool:
    """CDK's glob excludes: ``**/x`` matches ``x`` at any depth, the asset's top included."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(
        fnmatch(prefix, pattern) or fnmatch(prefix, pattern.removeprefix("**/"))
        for pattern in ASSET_EXCLUDES
        for prefix in prefixes
    )


def measure(name: str, path: Path) -> AssetSize:
    """Zip the folder in memory the way an asset is zipped (deflate), counting what goes in."""
    files = unzipped = 0
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for folder, _, names in os.walk(path):
            for file_name in sorted(names):
                full = Path(folder) / file_name
                relative = full.relative_to(path).as_posix()
                if excluded(relative):
                    continue
                archive.write(full, relative)
                files += 1
                unzipped += full.stat().st_size
    return AssetSize(name, path, files, unzipped, len(buffer.getvalue()))


def function_assets(repo_root: Path = REPO_ROOT) -> dict[str, list[str]]:
    """Each function folder the stack deploys, with the functions that run from it."""
    folders: dict[str, list[str]] = {}
    for spec in FUNCTIONS:
        folders.setdefault(spec.code_folder, []).append(spec.name)
    return folders


def collect(repo_root: Path = REPO_ROOT, dependencies: Path | None = None) -> list[AssetSize]:
    """The layers first (the dependency layer only when built), then one row per function asset."""
    dependencies = dependencies or repo_root / "build" / "dependencies"
    sizes = []
    if (dependencies / "python").is_dir():
        sizes.append(measure("layer: dependencies", dependencies))
    sizes.append(measure("layer: shared", repo_root / "layers" / "shared"))
    for folder, names in function_assets(repo_root).items():
        sizes.append(measure(f"function: {', '.join(names)}", repo_root / "functions" / folder))
    return sizes


def problems(sizes: list[AssetSize]) -> list[str]:
    layers = [s for s in sizes if s.name.startswith("layer:")]
    found = [f"{s.name}: {s.zipped / MB:.1f} MB zipped > 50 MB" for s in sizes if s.zipped > ZIPPED_LIMIT]
    for size in sizes:
        if size.name.startswith("function:"):
            total = size.unzipped + sum(layer.unzipped for layer in layers)
            if total > UNZIPPED_LIMIT:
                found.append(f"{size.name}: {total / MB:.1f} MB unzipped with its layers > 250 MB")
    return found


def human(size: int) -> str:
    return f"{size / MB:.2f} MB" if size >= MB / 10 else f"{size / 1024:.1f} KB"


def report(sizes: list[AssetSize]) -> str:
    layers_unzipped = sum(s.unzipped for s in sizes if s.name.startswith("layer:"))
    lines = [f"{'asset':40} {'files':>6} {'unzipped':>11} {'zipped':>11}"]
    for size in sizes:
        lines.append(f"{size.name:40} {size.files:>6} {human(size.unzipped):>11} {human(size.zipped):>11}")
    largest = max((s for s in sizes if s.name.startswith("function:")), key=lambda s: s.unzipped)
    total = largest.unzipped + layers_unzipped
    lines.append(
        f"largest function with its layers: {total / MB:.2f} MB unzipped of {UNZIPPED_LIMIT // MB} MB "
        f"({100 * total / UNZIPPED_LIMIT:.1f} %); largest zipped asset: "
        f"{max(s.zipped for s in sizes) / MB:.2f} MB of {ZIPPED_LIMIT // MB} MB"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dependencies", type=Path, default=REPO_ROOT / "build" / "dependencies")
    args = parser.parse_args(argv)
    sizes = collect(dependencies=args.dependencies)
    print(report(sizes))
    if not (args.dependencies / "python").is_dir():
        print(f"The dependency layer is not built ({args.dependencies}): run `make layer` first.")
        return 1
    found = problems(sizes)
    for problem in found:
        print(f"OVER THE LIMIT: {problem}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
