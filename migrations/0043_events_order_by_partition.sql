-- `events` is read in order only within a partition of the log (an organization),
-- as `ingested_events` is (0041). A reader of several aggregate types there (the audit
-- log, alerting, `log export`) needs the partition's events in one
-- order: `events_organization_tx_position` (0040) orders them per type only, so each
-- batch sorted every event of the partition past its checkpoint. The indexes of the
-- order across organizations go; `events_type_tx_position` stays for the in-memory
-- caches, which read the accounts' streams across organizations.
CREATE INDEX events_organization_position ON events (organization_id, tx_id, position);
DROP INDEX events_tx_position;
DROP INDEX events_tx_position_not_ingested;
