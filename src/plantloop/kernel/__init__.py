"""Kernel: ids, clock, the canonical event envelope, settings and the error root — no business rules."""
