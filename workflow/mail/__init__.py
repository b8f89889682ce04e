"""Mail: the outbox (rows first), each user's mail settings, the transports and the sender."""
