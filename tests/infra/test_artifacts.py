"""The deployment artifacts: the dependency layer leaves the runtime's boto3 alone, and every asset's size
is measured against Lambda's limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import artifact_sizes
from bench.artifact_sizes import MB, UNZIPPED_LIMIT, ZIPPED_LIMIT, collect, main, problems
from infra.build_layer import RUNTIME_PROVIDED, layer_requirements, prune, runtime_target
from infra.catalog import FUNCTIONS
from infra.stack import REPO_ROOT


def test_the_layer_is_built_for_the_stacks_runtime_without_what_the_runtime_provides(tmp_path: Path) -> None:
    from infra.constructs.layers import ARCHITECTURE, RUNTIME

    version, platform = runtime_target()
    assert RUNTIME.name == f"python{version}"
    assert platform.endswith("aarch64") == (ARCHITECTURE.name == "arm64")
    names = [r.split(">")[0].split("=")[0].split("[")[0] for r in layer_requirements()]
    assert "pynamodb" in names and not set(names) & set(RUNTIME_PROVIDED)

    # what pip leaves in the target when PynamoDB and the X-Ray SDK pull botocore in
    site = tmp_path / "python"
    for folder in ("botocore", "botocore-1.40.0.dist-info", "jmespath", "jmespath-1.0.1.dist-info", "bin",
                   "pynamodb", "pynamodb-6.1.0.dist-info", "requests", "urllib3"):  # fmt: skip
        (site / folder).mkdir(parents=True)
    prune(site)
    assert sorted(p.name for p in site.iterdir()) == [
        "pynamodb",
        "pynamodb-6.1.0.dist-info",
        "requests",
        "urllib3",
    ]


def test_the_sizes_of_the_shared_layer_and_every_function_asset(tmp_path: Path) -> None:
    sizes = {size.name: size for size in collect(REPO_ROOT, dependencies=tmp_path / "not-built")}
    shared = sizes.pop("layer: shared")
    assert shared.files > 10 and 0 < shared.zipped < shared.unzipped < 5 * MB
    folders = {spec.code_folder for spec in FUNCTIONS}
    assert len(sizes) == len(folders)
    for spec in FUNCTIONS:
        [size] = [s for name, s in sizes.items() if spec.name in name.removeprefix("function: ").split(", ")]
        assert (size.path / f"{spec.entry.split('.')[0]}.py").is_file()
        assert 0 < size.zipped <= size.unzipped < 5 * MB
    assert problems([*sizes.values(), shared]) == []


def test_compiled_files_are_left_out_as_cdk_leaves_them_out(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "__pycache__").mkdir(parents=True)
    (tmp_path / "pkg" / "__pycache__" / "mod.cpython-313.pyc").write_bytes(b"x" * 1000)
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "handler.cpython-313.pyc").write_bytes(b"x" * 1000)
    (tmp_path / "handler.py").write_text("def handler(event, context):\n    return {}\n")
    size = artifact_sizes.measure("function: x", tmp_path)
    assert size.files == 1 and size.unzipped == len("def handler(event, context):\n    return {}\n")


def test_a_layer_over_the_limit_is_reported(tmp_path: Path) -> None:
    huge = artifact_sizes.AssetSize("layer: dependencies", tmp_path, 1, UNZIPPED_LIMIT, ZIPPED_LIMIT + 1)
    small = artifact_sizes.AssetSize("function: bot_webhook", tmp_path, 1, 1, 1)
    assert problems([huge, small]) == [
        "layer: dependencies: 50.0 MB zipped > 50 MB",
        "function: bot_webhook: 250.0 MB unzipped with its layers > 250 MB",
    ]


def test_the_report_with_the_dependency_layer_as_built(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A stand-in layer (building the real one downloads ~20 MB): measured, reported, inside the limits."""
    site = tmp_path / "python" / "pkg"
    site.mkdir(parents=True)
    (site / "__init__.py").write_text("VALUE = 1\n" * 1000)
    assert main(["--dependencies", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "layer: dependencies" in out and "layer: shared" in out and "function: admin_api" in out
    assert "largest function with its layers" in out

    assert main(["--dependencies", str(tmp_path / "missing")]) == 1
    assert "run `make layer` first" in capsys.readouterr().out


def test_a_built_dependency_layer_leaves_the_runtime_its_own_packages() -> None:
    """What `make layer` left in build/dependencies, if it ran here (CI does not download the layer)."""
    site = REPO_ROOT / "build" / "dependencies" / "python"
    built = sorted(p.name.split("-")[0].lower() for p in site.iterdir()) if site.is_dir() else []
    assert not set(built) & set(RUNTIME_PROVIDED)
    assert problems(collect(REPO_ROOT)) == []
