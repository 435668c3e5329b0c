-- A node's verified copy of the cluster log (global scope, docs/architecture.md): the records it has
-- folded, byte for byte as etcd holds them, so the read-side tools and verify work on them here.
CREATE TABLE cluster_log (
  seq     INTEGER PRIMARY KEY,
  id      TEXT NOT NULL,
  stream  TEXT NOT NULL,
  type    TEXT NOT NULL,
  version INTEGER NOT NULL,
  data    TEXT NOT NULL,
  meta    TEXT NOT NULL,
  hash    TEXT NOT NULL
) STRICT;

CREATE TRIGGER cluster_log_append_only_update BEFORE UPDATE ON cluster_log
BEGIN
  SELECT RAISE(ABORT, 'the copy of the cluster log is append-only: a row cannot be updated');
END;

CREATE TRIGGER cluster_log_append_only_delete BEFORE DELETE ON cluster_log
BEGIN
  SELECT RAISE(ABORT, 'the copy of the cluster log is append-only: a row cannot be deleted');
END;

-- Where the copy starts when the node began from a snapshot in the cluster: its seq, chain hash and state.
CREATE TABLE cluster_base (
  one   INTEGER PRIMARY KEY CHECK (one = 1),
  seq   INTEGER NOT NULL,
  hash  TEXT NOT NULL,
  state TEXT NOT NULL
) STRICT;
