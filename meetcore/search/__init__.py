"""Search across meetings: agenda items, decisions and action items, in Thai or English."""
