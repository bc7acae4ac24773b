-- The read-only group of 04's analysts (a group on Redshift, a role that cannot log in on PostgreSQL).
CREATE GROUP analysts;
