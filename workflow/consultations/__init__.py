"""Consultations: the territory (Comuni, Unioni, Forum), the consultation windows of a plan and the
contributions received."""
