-- The notifications outbox (docs/alerts.md, "The outbox"): one row per message to
-- send, written by the alerting reactor and the service-hook path, claimed, sent and
-- updated only by `faultline-notify`. Not a read model: replay never touches it.
CREATE TABLE notifications (
    -- The idempotency key: a repeated decision is the same row (ON CONFLICT DO NOTHING).
    id              uuid PRIMARY KEY,
    org_id          bigint      NOT NULL,
    project_id      bigint      NOT NULL,
    issue_id        bigint,
    workflow_id     text,
    hook_id         text,
    channel         text        NOT NULL
        CHECK (channel IN ('email', 'webhook', 'slack', 'discord', 'service_hook')),
    -- The URL or email address.
    target          text        NOT NULL,
    -- The signing key (webhook, service hook).
    secret          text,
    payload         jsonb       NOT NULL,
    state           text        NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'delivered', 'failed', 'dropped')),
    attempts        integer     NOT NULL DEFAULT 0,
    last_error      text,
    last_status     integer,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    -- A worker's lease: nobody else claims the row before then.
    claimed_until   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz
);

-- Claiming: the due pending rows, soonest first; delivered and failed rows leave it.
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE state = 'pending';
-- Listing for the API, newest first, by organization and by workflow.
CREATE INDEX notifications_org_created ON notifications (org_id, created_at DESC, id DESC);
CREATE INDEX notifications_org_workflow_created
    ON notifications (org_id, workflow_id, created_at DESC, id DESC)
    WHERE workflow_id IS NOT NULL;
-- The per-recipient hourly email cap counts what was sent to an address lately.
CREATE INDEX notifications_email_sent ON notifications (lower(target), delivered_at)
    WHERE channel = 'email' AND state = 'delivered';

-- Wake the workers at the commit of every insert: one notification per statement (a
-- batch of rows is one wakeup), and identical notifications of one transaction fold.
CREATE FUNCTION notifications_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('faultline_notifications', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER notifications_notify_on_insert
    AFTER INSERT ON notifications
    FOR EACH STATEMENT EXECUTE FUNCTION notifications_notify();
