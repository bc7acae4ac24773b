"""The stack's permissions, as documents: pure functions of the settings, no AWS call.

What the operator needs and how each of its statements is scoped, the
permissions boundary of the stack's roles, the documents of the roles the stack
makes (the COPY role, the scheduler's, the analysts'), and the COPY role's reach.
:mod:`sparkify_nb.infra` creates, finds and deletes what these documents
describe; it imports this package, never the other way round.

Modules: :mod:`.kinds` (the AWS actions each resource kind's steps need),
:mod:`.operator` (every permission the suite needs, and the operator's policy),
:mod:`.scopes` (how each statement is kept to the stack: the rules per service in
:mod:`.rules_ec2`, :mod:`.rules_redshift`, :mod:`.rules_iam`, :mod:`.rules_s3`, on
the shapes of :mod:`.rule`), :mod:`.boundary`,
:mod:`.copy_role`, :mod:`.reach`, :mod:`.scheduler`, :mod:`.analyst`,
:mod:`.workbucket` (the names those documents use), :mod:`.tags`, :mod:`.errors`.
"""
