"""Benchmarks of the shared package: DynamoDB requests per domain operation, import time, memory."""
