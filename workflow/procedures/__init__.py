"""Procedures: open one, advance it by a step, plan its milestones, list and compare them."""
