-- Environments a project hides from its lists (`EnvironmentsHidden`), written only by
-- the `projects` projection. The environments themselves are the ones the project's
-- events and deploys named (projections::environments reads them).
CREATE TABLE project_hidden_environments (
    project_id bigint NOT NULL,
    name       text   NOT NULL,
    PRIMARY KEY (project_id, name)
);
