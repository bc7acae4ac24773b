"""The rehearsal's IAM: one evaluator of IAM's documented policy logic (:mod:`.evaluate`), which
the COPY role check of the Data API endpoint uses, AWS's Service Authorization Reference as data
(:mod:`.sar`, ``sar.json``) and the hook every room of the local stack is to ask,
``authorize(principal, action, resources, context)`` (:mod:`.authorize`). A fresh account per
rehearsal and the gate in front of the emulator are not here yet (issue 25)."""
