"""The client's path: purchases, statuses and their history."""
