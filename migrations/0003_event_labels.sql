-- The caller's own labels on a command's events (a CNI runtime's CNI_ARGS, say), as canonical JSON;
-- NULL when it gave none, so the meta the hash chain covers is unchanged for every earlier row.
ALTER TABLE events ADD COLUMN labels TEXT;
