"""Shared domain package of the referral program: rules, services and the DynamoDB repository."""
