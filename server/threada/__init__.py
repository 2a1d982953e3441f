"""Threada public API service."""
