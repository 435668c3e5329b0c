-- The event log: append-only, gap-free, hash-chained (DESIGN §3).
CREATE TABLE events (
  seq        INTEGER PRIMARY KEY,
  stream     TEXT    NOT NULL,
  type       TEXT    NOT NULL,
  version    INTEGER NOT NULL,
  data       TEXT    NOT NULL,  -- canonical JSON
  actor      TEXT    NOT NULL,
  time       TEXT    NOT NULL,  -- ISO 8601, UTC
  request_id TEXT,
  causation  INTEGER,
  hash       TEXT    NOT NULL   -- sha256(previous hash || canonical event), hex
) STRICT;

CREATE INDEX events_by_stream ON events (stream, seq);

CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN
  SELECT RAISE(ABORT, 'netledger events are append-only: an event row cannot be updated');
END;

CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
BEGIN
  SELECT RAISE(ABORT, 'netledger events are append-only: an event row cannot be deleted');
END;

-- Snapshots are an optimisation only: full replay must give the same state hash.
CREATE TABLE snapshots (
  seq             INTEGER PRIMARY KEY,
  reducer_version INTEGER NOT NULL,
  state           TEXT    NOT NULL,
  state_hash      TEXT    NOT NULL,
  created_at      TEXT    NOT NULL
) STRICT;

-- Request ids of idempotent commands: a repeat returns the first result and appends nothing.
CREATE TABLE requests (
  request_id  TEXT PRIMARY KEY,
  fingerprint TEXT    NOT NULL,  -- sha256 of the canonical command, to refuse a reused id
  seq         INTEGER NOT NULL,  -- the first event the command appended
  entity_kind TEXT,
  entity_id   TEXT
) STRICT;

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
