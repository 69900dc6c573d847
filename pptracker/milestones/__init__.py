"""Milestones: baselines that cannot drift, progress updates, an honest timeline."""
