"""Campaign and daily reports, kept exact from the table's stream (see ``tally``)."""
