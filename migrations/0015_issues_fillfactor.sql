-- A rebuild (`faultline replay`) updates most issue rows again in every batch it
-- applies, into a shadow table that has no non-unique indexes until the fill ends:
-- with free space on each page those updates stay HOT and take half the time. The
-- shadow copies this table's storage parameters. Live updates change indexed columns
-- (counters, last_seen), so they are not HOT either way; the cost is an issues table
-- about twice its size, and issue rows are few next to events.
ALTER TABLE issues SET (fillfactor = 50);
