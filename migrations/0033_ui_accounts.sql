-- Signing in to the web UI.
--
-- Each user's password as the users projection folds it from `PasswordSet`: an
-- Argon2id PHC string, never the password. NULL until a password is set.
ALTER TABLE users ADD COLUMN password_hash text;

-- Web UI sessions (commands::sessions). Operational state, not a read model: a
-- sign-in is not a fact of the log, nothing rebuilds this table, and rows of ended
-- sessions may be deleted at any time. Only the hex SHA-256 of the cookie's secret is
-- kept, so a copy of the table signs nobody in.
CREATE TABLE ui_sessions (
    id_hash      text        PRIMARY KEY,
    user_id      bigint      NOT NULL,
    -- The form token that state-changing requests of this session must carry.
    csrf_token   text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    ip_address   text,
    user_agent   text
);
-- Signing a user out everywhere (a new password) revokes all their sessions.
CREATE INDEX ui_sessions_user ON ui_sessions (user_id);
