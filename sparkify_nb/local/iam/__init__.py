"""The rehearsal's IAM: one evaluator of IAM's documented policy logic (:mod:`.evaluate`), which
the COPY role check of the Data API endpoint uses (:mod:`sparkify_nb.local.rehearsal.iam_eval`)."""
