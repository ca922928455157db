"""The operators' admin HTTP API: routes, request/response models and their wiring (SPEC §7)."""
