"""Alarms: errors and throttles of every function, failed scheduled runs, a sync that falls behind (as a
whole, and each of its streams on its own), and any drift between balances and the ledger found by the
daily reconciliation.

The sync runs one at a time: a run due while the previous one is still going is throttled by design and
dropped, so its throttles raise no alarm; a sync that stops completing runs does (``SyncBehind``).
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct
from referral.ozon.streams import STREAMS, stream_metric

from infra.catalog import FunctionSpec
from infra.constructs.function import METRICS_NAMESPACE

SYNC_COMPLETED_METRIC = "SyncRunsCompleted"
"""Emitted by the sync at the end of every successful run."""
SYNC_STALE_AFTER = Duration.minutes(30)
STREAM_STALE_AFTER = Duration.hours(2)
"""A sync stream (FBS, FBO, returns…) that has not progressed this long raises its own alarm."""
LEDGER_DRIFT_METRIC = "LedgerDrift"
"""Emitted by the daily reconciliation: how many balance parts differ from what the ledger says."""


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: list[tuple[FunctionSpec, lambda_.Function]],
        dead_letters: sqs.IQueue,
        sync_service_name: str = "ozon_sync",
        reconcile_service_name: str = "reconcile",
        stream_stale_after: Duration = STREAM_STALE_AFTER,
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "Alarms", enforce_ssl=True, display_name="Ozon referral alarms")
        action = actions.SnsAction(self.topic)
        self.alarms: list[cloudwatch.Alarm] = []
        for spec, function in functions:
            name = spec.name
            watched = [(function.metric_errors(), "Errors")]
            if spec.alarm_on_throttles:
                watched.append((function.metric_throttles(), "Throttles"))
            for metric, label in watched:
                self._alarm(
                    f"{name}{label}",
                    metric.with_(period=Duration.minutes(5), statistic="Sum"),
                    f"{name}: {label.lower()} in the last 5 minutes",
                    action,
                )
        self._alarm(
            "FailedScheduledRuns",
            dead_letters.metric_approximate_number_of_messages_visible(period=Duration.minutes(5)),
            "A scheduled run failed after its retries (see the failed-runs queue)",
            action,
        )
        stale = cloudwatch.Alarm(
            self,
            "SyncBehind",
            metric=cloudwatch.Metric(
                namespace=METRICS_NAMESPACE,
                metric_name=SYNC_COMPLETED_METRIC,
                dimensions_map={"service": sync_service_name},
                statistic="Sum",
                period=SYNC_STALE_AFTER,
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
            alarm_description="No successful Ozon sync for 30 minutes: purchases are not being counted",
        )
        stale.add_alarm_action(action)
        self.alarms.append(stale)
        for stream in STREAMS:
            self._stream_alarm(stream, sync_service_name, stream_stale_after, action)
        self._alarm(
            "LedgerDrift",
            cloudwatch.Metric(
                namespace=METRICS_NAMESPACE,
                metric_name=LEDGER_DRIFT_METRIC,
                dimensions_map={"service": reconcile_service_name},
                statistic="Sum",
                period=Duration.hours(6),
            ),
            "Balances differ from the ledger: points may be lost or created (see the reconcile log)",
            action,
        )

    def _stream_alarm(
        self, stream: str, service_name: str, stale_after: Duration, action: actions.SnsAction
    ) -> None:
        """No progress of one stream for ``stale_after``: failing (0s) or not reached at all (no data)."""
        alarm = cloudwatch.Alarm(
            self,
            f"SyncStreamBehind-{stream}",
            metric=cloudwatch.Metric(
                namespace=METRICS_NAMESPACE,
                metric_name=stream_metric(stream),
                dimensions_map={"service": service_name},
                statistic="Sum",
                period=stale_after,
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
            alarm_description=(
                f"The Ozon sync stream {stream} has not progressed for {stale_after.to_human_string()}: "
                "see its reason in the admin app (Ozon connection) or the sync log"
            ),
        )
        alarm.add_alarm_action(action)
        self.alarms.append(alarm)

    def _alarm(
        self, name: str, metric: cloudwatch.IMetric, description: str, action: actions.SnsAction
    ) -> None:
        alarm = cloudwatch.Alarm(
            self,
            name,
            metric=metric,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(action)
        self.alarms.append(alarm)
