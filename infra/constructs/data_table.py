"""The single DynamoDB table, built from the one table definition in code."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct
from referral.repository.table import TableDefinition, table_definition

_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}
_PROJECTIONS = {"ALL": dynamodb.ProjectionType.ALL, "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY}


class DataTable(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, definition: TableDefinition | None = None
    ) -> None:
        super().__init__(scope, construct_id)
        spec = definition or table_definition()

        def key(name: str) -> dynamodb.Attribute:
            return dynamodb.Attribute(name=name, type=_TYPES[spec.attribute_types[name]])

        if spec.billing_mode != "PAY_PER_REQUEST":
            raise ValueError("the table is provisioned on demand")
        self.table = dynamodb.TableV2(
            self,
            "Table",
            partition_key=key(spec.partition_key),
            sort_key=key(spec.sort_key),
            billing=dynamodb.Billing.on_demand(),
            time_to_live_attribute=spec.ttl_attribute,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
            global_secondary_indexes=[
                dynamodb.GlobalSecondaryIndexPropsV2(
                    index_name=index.name,
                    partition_key=key(index.partition_key),
                    sort_key=key(index.sort_key),
                    projection_type=_PROJECTIONS[index.projection],
                )
                for index in spec.global_indexes
            ],
        )
