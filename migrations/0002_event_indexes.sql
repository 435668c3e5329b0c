-- Indexes for the operator's filters (netledger log --type/--actor/--since TIME, and names resolved
-- through the log): each keeps a filter on a large log from scanning every row.
CREATE INDEX events_by_type ON events (type, seq);
CREATE INDEX events_by_actor ON events (actor, seq);
CREATE INDEX events_by_time ON events (time);
