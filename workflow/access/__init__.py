"""Access: users, role codes, delegations (dated), the one table of rights, login and API tokens."""
