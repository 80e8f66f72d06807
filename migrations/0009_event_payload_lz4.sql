-- Ingested events are ~10 KB of JSON each and are TOASTed: lz4 compresses and
-- decompresses them several times faster than the default pglz, which showed as
-- the write path's largest Postgres cost. Applies to rows written from now on; no
-- existing row is touched.
ALTER TABLE events ALTER COLUMN payload SET COMPRESSION lz4;
