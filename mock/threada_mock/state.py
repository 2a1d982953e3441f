"""Placeholder; the stateful store comes next."""

from __future__ import annotations


class TicketStore:
    def __init__(self, spec, seed=None):
        self.spec = spec

    def handle(self, request):
        return None
