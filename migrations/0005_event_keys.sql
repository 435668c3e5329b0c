-- The keys the log is searched by (stream, type, actor, time), moved out of the events table so that a
-- command's commit writes one page of the log instead of five: an index on events is updated in the
-- command's own transaction, one leaf page each. event_keys holds the same columns for every event up
-- to a seq and carries the indexes; the writer fills it for the tail in the transaction that makes the
-- tail 256 events long, so its pages are written once per batch. Queries read the keys up to their
-- highest seq and scan the short tail after it (src/store/eventKeys.ts). Derived data, never the
-- source: verify checks it against the events.
CREATE TABLE event_keys (
  seq    INTEGER PRIMARY KEY,
  stream TEXT NOT NULL,
  type   TEXT NOT NULL,
  actor  TEXT NOT NULL,
  time   TEXT NOT NULL
) STRICT;

INSERT INTO event_keys (seq, stream, type, actor, time) SELECT seq, stream, type, actor, time FROM events;

CREATE INDEX event_keys_by_stream ON event_keys (stream, seq);
CREATE INDEX event_keys_by_type ON event_keys (type, seq);
CREATE INDEX event_keys_by_actor ON event_keys (actor, seq);
CREATE INDEX event_keys_by_time ON event_keys (time);

CREATE TRIGGER event_keys_append_only_update BEFORE UPDATE ON event_keys
BEGIN
  SELECT RAISE(ABORT, 'netledger event keys are append-only: a row cannot be updated');
END;

CREATE TRIGGER event_keys_append_only_delete BEFORE DELETE ON event_keys
BEGIN
  SELECT RAISE(ABORT, 'netledger event keys are append-only: a row cannot be deleted');
END;

DROP INDEX events_by_stream;
DROP INDEX events_by_type;
DROP INDEX events_by_actor;
DROP INDEX events_by_time;
