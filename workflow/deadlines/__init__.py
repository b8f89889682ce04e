"""Deadlines: the rules that derive them, the ones people set, reminders, digest and iCal feeds."""
