-- Lists show whether consent stands: the latest record of each kind per trajectory. This index
-- finds that record without a sort and, holding `given`, without reading the table. It also
-- serves every other read of a trajectory's consents, so it replaces the older index.
CREATE INDEX consents_latest ON consents (trajectory_id, kind, recorded_at DESC, id DESC) INCLUDE (given);
DROP INDEX consents_trajectory;
