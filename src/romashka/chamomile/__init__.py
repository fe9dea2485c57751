"""The chamomile: suppliers, investors, community and the health of every petal."""
