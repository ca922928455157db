"""EventBridge schedules for the scheduled functions, with a dead-letter queue for failed invocations."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.catalog import FunctionSpec
from infra.constructs.findings import acknowledge

MAX_EVENT_AGE = Duration.hours(6)
"""Lambda's own limit for keeping an asynchronous event."""


def max_event_age(spec: FunctionSpec) -> Duration:
    """A run that could not start before the next one is due is superseded by it: drop it then.

    A function that runs one at a time (reserved concurrency) is throttled while its previous run is
    still going; its event waits only a minute, then the next scheduled run takes over.
    """
    if spec.reserved_concurrency is not None:
        return Duration.minutes(1)
    minutes = spec.schedule_minutes or 0
    return Duration.minutes(max(1, min(minutes, int(MAX_EVENT_AGE.to_minutes()))))


class Schedules(Construct):
    """Failed scheduled runs (after Lambda's own retries) land in one encrypted, TLS-only queue."""

    def __init__(
        self, scope: Construct, construct_id: str, jobs: list[tuple[FunctionSpec, lambda_.Function]]
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letters = sqs.Queue(
            self,
            "FailedRuns",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        acknowledge(self.dead_letters, "SQS3", "This queue is itself the dead-letter queue of the schedules")
        self.rules: dict[str, events.Rule] = {}
        for spec, function in jobs:
            name, minutes = spec.name, spec.schedule_minutes or 0
            rule = events.Rule(
                self,
                f"{name}Schedule",
                schedule=events.Schedule.rate(Duration.minutes(minutes)),
                description=f"Runs {name} every {minutes} minutes",
            )
            rule.add_target(
                targets.LambdaFunction(
                    function,
                    dead_letter_queue=self.dead_letters,
                    retry_attempts=2,
                    max_event_age=Duration.hours(1),
                )
            )
            function.configure_async_invoke(
                on_failure=destinations.SqsDestination(self.dead_letters),
                retry_attempts=spec.retry_attempts,
                max_event_age=max_event_age(spec),
            )
            self.rules[name] = rule
