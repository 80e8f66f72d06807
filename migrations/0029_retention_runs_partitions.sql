-- What a retention pass did with the partitions of ingested events: how many it
-- dropped, and the partition it kept although its time had come (a read model behind,
-- a rebuild in progress) and why. `/_ready` reports the latest pass held back.
ALTER TABLE retention_runs
    ADD COLUMN dropped_partitions integer NOT NULL DEFAULT 0,
    ADD COLUMN held_back_partition text,
    ADD COLUMN held_back_reason text;
