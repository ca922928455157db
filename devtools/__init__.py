"""Local development tools: fakes of external services."""
