"""Reports after the meeting: the official minutes (รายงานการประชุม) and their life; the attendance report."""
