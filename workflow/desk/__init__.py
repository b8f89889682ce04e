"""The desk: what a user sees first after login, and the comparison across trienni."""
