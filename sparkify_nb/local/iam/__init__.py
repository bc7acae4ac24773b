"""The rehearsal's IAM: one evaluator of IAM's documented policy logic (:mod:`.evaluate`), which
the COPY role check of the Data API endpoint uses, and the hook every room of the local stack is to
ask, ``authorize(principal, action, resources, context)`` (:mod:`.authorize`); a fresh account per
rehearsal (:mod:`.account`); the gate in front of the emulator (:mod:`.gate`: a request read by
:mod:`.requests`, who signed it, the operator or a session of one of the account's roles; a role's
trust policy, :mod:`.trust`) and the rehearsal's permissions report (:mod:`.report`) (issue 25).
AWS's Service Authorization Reference as data and the table of what each request touches live
below this package, shared with 01's preflight: :mod:`sparkify_nb.iam.sar`,
:mod:`sparkify_nb.iam.touches`, :mod:`sparkify_nb.iam.calls`."""
