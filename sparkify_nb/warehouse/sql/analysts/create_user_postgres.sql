-- The analyst (the local server trusts its socket connections; no password).
CREATE USER {user};
