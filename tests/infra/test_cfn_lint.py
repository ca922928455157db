"""The synthesized template passes cfn-lint: no errors, no warnings but those ``.cfnlintrc`` explains."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from aws_cdk.assertions import Template

REPO_ROOT = Path(__file__).resolve().parents[2]
CFN_LINT = Path(sys.executable).with_name("cfn-lint")


def lint(template: dict[str, object], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "OzonReferral.template.json"
    path.write_text(json.dumps(template))
    return subprocess.run(  # noqa: S603 - our own dev tool on our own file
        [str(CFN_LINT), "--format", "parseable", str(path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_template_passes_cfn_lint(template: Template, tmp_path: Path) -> None:
    result = lint(template.to_json(), tmp_path)
    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr


def test_cfn_lint_does_find_a_broken_template(template: Template, tmp_path: Path) -> None:
    broken = template.to_json()
    function = next(r for r in broken["Resources"].values() if r["Type"] == "AWS::Lambda::Function")
    function["Properties"]["Runtime"] = "python2.7"
    function["Properties"]["MemorySize"] = 1
    result = lint(broken, tmp_path)
    assert result.returncode != 0
    assert ":E" in result.stdout
