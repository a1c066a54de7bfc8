"""Goldenpath's engine: source → specs → templates/render → plan → apply → report."""
