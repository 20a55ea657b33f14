"""Video and audio through Janus's VideoRoom plugin (SFU): one room per live meeting, signed tokens for
browsers, the floor enforced at Janus, recordings turned into playable files after the meeting."""
