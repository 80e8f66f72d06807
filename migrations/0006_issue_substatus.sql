-- An unresolved issue's substatus is `new` for 7 days after its first event and
-- `ongoing` after that: time alone moves it, so the read model stores NULL and the
-- queries derive it. Only substatuses that events set (`regressed`) are stored.
ALTER TABLE issues ALTER COLUMN substatus DROP NOT NULL;
ALTER TABLE issues ALTER COLUMN substatus DROP DEFAULT;
UPDATE issues SET substatus = NULL WHERE substatus IN ('new', 'ongoing');

-- Tag values of an issue by frequency (tag summaries and value pages).
CREATE INDEX issue_tag_values_issue_key_count
    ON issue_tag_values (issue_id, key, times_seen DESC, value);
