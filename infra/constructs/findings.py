"""Acknowledging reviewed findings of the AWS Solutions checks (cdk-nag), each with its reason."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """``rule`` as cdk-nag names it, e.g. ``IAM5[Resource::*]``; applies to ``construct`` and below."""
    Validations.of(construct).acknowledge(
        Acknowledgment(id=f"AwsSolutions::AwsSolutions-{rule}", reason=reason)
    )
