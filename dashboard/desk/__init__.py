"""The studio's desk: every room at a glance from the broker, a room's live view through the
broker, every room's sessions from PostgreSQL (`ashisense studio`)."""
