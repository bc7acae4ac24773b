-- The analyst: no password at all (PASSWORD DISABLE); it logs in only with IAM temporary credentials.
CREATE USER {user} PASSWORD DISABLE;
