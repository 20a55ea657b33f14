"""The floor: requests to speak, the queue, and who holds the floor."""
