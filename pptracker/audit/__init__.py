"""Audit: every change recorded in a keyed hash chain, its verification, and findings."""
