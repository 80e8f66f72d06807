-- The issues projection rewrites the same rows of `issue_tag_values` (a counter and
-- `last_seen` per tag value) with every batch it applies. An index on `times_seen`
-- made every one of those rewrites a non-HOT update: new entries in every index, then
-- bottom-up index deletion to clean them up, which cost as much as appending the
-- events themselves. Most-frequent-first reads of one issue's key now walk the
-- primary key prefix (issue_id, key) and sort, a top-N sort for a page of values.
DROP INDEX issue_tag_values_issue_key_count;

-- Free space on each page keeps the new row versions on their page (HOT), for the tag
-- counters and for the checkpoints every projection batch moves. Only pages written
-- from now on get it; `faultline replay` rebuilds a read model into tables that
-- carry it.
ALTER TABLE issue_tag_values SET (fillfactor = 50);
ALTER TABLE projection_checkpoints SET (fillfactor = 50);
