"""Calendar invitations by e-mail (iTIP/iMIP): invites, updates, cancellations, RSVP, replies, reminders
and personal calendar feeds."""
