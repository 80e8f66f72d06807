-- A workflow's `lastTriggered` is the newest of its fires: read it from an index
-- instead of every issue it ever fired for.
CREATE INDEX alert_fires_workflow_fired ON alert_fires (workflow_id, fired_at DESC);
