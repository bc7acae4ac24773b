"""The rehearsal's IAM: one evaluator of IAM's documented policy logic (:mod:`.evaluate`), which
the COPY role check of the Data API endpoint uses, AWS's Service Authorization Reference as data
(:mod:`.sar`, ``sar.json``) and the hook every room of the local stack is to ask,
``authorize(principal, action, resources, context)`` (:mod:`.authorize`); a fresh account per
rehearsal (:mod:`.account`); the gate in front of the emulator (:mod:`.gate`, what a request touches:
:mod:`.requests`) and the rehearsal's permissions report (:mod:`.report`) (issue 25)."""
