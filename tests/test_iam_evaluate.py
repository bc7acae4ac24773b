"""The rehearsal's IAM evaluator (sparkify_nb/local/iam/evaluate.py), one rule each, as the IAM User
Guide's policy-evaluation and condition pages state them (the module docstring quotes them)."""

import pytest

from sparkify_nb.local.iam.evaluate import Request, evaluate

ARN = "arn:aws:ec2:us-west-2:210000000001:vpc/vpc-0abc"


def allow(**extra):
    return {"Version": "2012-10-17", "Statement": [{"Sid": "It", "Effect": "Allow", **extra}]}


def decide(policy, action="ec2:CreateVpc", resource=ARN, context=None, boundary=None):
    return evaluate([policy], Request(action, resource, context or {}), boundary)


def test_an_allow_allows_and_names_its_sid():
    got = decide(allow(Action="ec2:CreateVpc", Resource=ARN))
    assert (got.allowed, got.why, got.sid) == (True, "allowed", "It")


def test_nothing_that_allows_is_an_implicit_deny():
    got = decide(allow(Action="ec2:DeleteVpc", Resource="*"))
    assert (got.allowed, got.why, got.sid) == (False, "implicit deny", "")


def test_an_explicit_deny_wins_over_any_allow():
    policy = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
                            {"Sid": "No", "Effect": "Deny", "Action": "ec2:Create*", "Resource": "*"}]}
    got = decide(policy)
    assert (got.allowed, got.why, got.sid) == (False, "explicit deny", "No")


def test_actions_match_case_insensitively_with_wildcards_and_resources_case_sensitively():
    assert decide(allow(Action="EC2:create?pc", Resource="arn:aws:ec2:*:*:vpc/*")).allowed
    assert not decide(allow(Action="ec2:CreateVpc", Resource="arn:aws:ec2:*:*:VPC/*")).allowed


def test_not_action_and_not_resource_take_everything_else():
    assert not decide(allow(NotAction="ec2:CreateVpc", Resource="*")).allowed
    assert decide(allow(NotAction="ec2:DeleteVpc", Resource="*")).allowed
    assert not decide(allow(Action="*", NotResource="arn:aws:ec2:*:*:vpc/*")).allowed
    assert decide(allow(Action="*", NotResource="arn:aws:ec2:*:*:subnet/*")).allowed
    assert not decide(allow(Resource="*")).allowed and not decide(allow(Action="*")).allowed  # neither of a pair


def test_a_key_the_request_lacks_fails_a_condition_but_passes_a_negated_one():
    assert not decide(allow(Action="*", Resource="*", Condition={"StringEquals": {"aws:RequestTag/k": "v"}})).allowed
    assert decide(allow(Action="*", Resource="*", Condition={"StringNotEquals": {"aws:RequestTag/k": "v"}})).allowed


def test_if_exists_passes_when_the_key_is_absent_and_tests_it_when_present():
    policy = allow(Action="*", Resource="*", Condition={"StringEqualsIfExists": {"aws:ResourceTag/k": "v"}})
    assert decide(policy).allowed
    assert not decide(policy, context={"aws:ResourceTag/k": "other"}).allowed


def test_null_tests_presence():
    policy = allow(Action="*", Resource="*", Condition={"Null": {"aws:RequestTag/k": "false"}})
    assert decide(policy, context={"aws:RequestTag/k": "v"}).allowed
    assert not decide(policy).allowed


def test_for_all_values_holds_on_an_empty_set_and_for_any_value_does_not():
    every = allow(Action="*", Resource="*", Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}})
    some = allow(Action="*", Resource="*", Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}})
    assert decide(every).allowed and decide(every, context={"aws:TagKeys": []}).allowed
    assert decide(every, context={"aws:TagKeys": ["a"]}).allowed
    assert not decide(every, context={"aws:TagKeys": ["a", "c"]}).allowed
    assert not decide(some).allowed
    assert decide(some, context={"aws:TagKeys": ["c", "a"]}).allowed


def test_values_of_one_key_or_keys_and_operators_and():
    policy = allow(Action="*", Resource="*", Condition={"StringEquals": {"k1": ["x", "y"], "k2": "z"},
                                                         "Bool": {"aws:SecureTransport": "true"}})
    assert decide(policy, context={"k1": "y", "k2": "z", "aws:SecureTransport": "true"}).allowed
    assert not decide(policy, context={"k1": "y", "k2": "z", "aws:SecureTransport": "false"}).allowed
    assert not decide(policy, context={"k1": "y", "aws:SecureTransport": "true"}).allowed


def test_a_negated_operators_values_nor():
    policy = allow(Action="*", Resource="*", Condition={"StringNotEquals": {"k": ["x", "y"]}})
    assert decide(policy, context={"k": "z"}).allowed
    assert not decide(policy, context={"k": "y"}).allowed


@pytest.mark.parametrize("operator, wanted, value, holds", [
    ("StringLike", "sparkify-*", "sparkify-dwh", True), ("StringEqualsIgnoreCase", "ABC", "abc", True),
    ("NumericLessThan", "10", "9", True), ("NumericGreaterThanEquals", "10", "9", False),
    ("DateGreaterThan", "2020-01-01T00:00:00Z", "2026-12-02T06:00:00Z", True),
    ("IpAddress", "10.0.0.0/8", "10.1.2.3", True), ("NotIpAddress", "10.0.0.0/8", "10.1.2.3", False),
    ("ArnLike", "arn:aws:iam::*:role/sparkify-*", "arn:aws:iam::210000000001:role/sparkify-copy", True),
    ("ArnLike", "arn:aws:iam::*:role/sparkify-*", "arn:aws:iam::210000000001:user/sparkify-copy", False),
    ("BinaryEquals", "QmluYXJ5", "QmluYXJ5", True), ("Bool", "true", "True", True),
    ("StringNotLike", "sparkify-*", "sparkify-dwh", False), ("StringNotLike", "sparkify-*", "other", True),
    ("StringNotEqualsIgnoreCase", "ABC", "abc", False), ("StringNotEqualsIgnoreCase", "ABC", "abd", True),
    ("NumericLessThan", "10", "nine", False),  # a value that is no number matches nothing
])
def test_each_operator_family(operator, wanted, value, holds):
    assert decide(allow(Action="*", Resource="*", Condition={operator: {"k": wanted}}),
                  context={"k": value}).allowed is holds


def test_a_plain_operator_on_a_key_with_several_values_allows_only_when_all_match_and_denies_when_one_does():
    """Rule 4, the strict reading (unconfirmed: reference_policies_condition-single-vs-multi-valued-context-keys.html
    advises ForAllValues/ForAnyValue for such keys and does not say what a plain operator does)."""
    condition = {"StringEquals": {"k": "a"}}
    assert not decide(allow(Action="*", Resource="*", Condition=condition), context={"k": ["a", "b"]}).allowed
    assert decide(allow(Action="*", Resource="*", Condition=condition), context={"k": ["a", "a"]}).allowed
    policy = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
                            {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": condition}]}
    assert decide(policy, context={"k": ["b", "a"]}).why == "explicit deny"
    assert decide(policy, context={"k": ["b", "c"]}).allowed


# an operator's test -> does it hold for a request value (equal to, below, above) the policy's value
_ORDER = {"Equals": (True, False, False), "NotEquals": (False, True, True), "LessThan": (False, True, False),
          "LessThanEquals": (True, True, False), "GreaterThan": (False, False, True),
          "GreaterThanEquals": (True, False, True)}


@pytest.mark.parametrize("test", list(_ORDER))
@pytest.mark.parametrize("family, wanted, equal, below, above", [
    ("Numeric", "10", "10.0", "9.5", "11"),
    ("Date", "2026-12-02T05:00:00Z", "1796187600", "2026-12-02T04:59:59Z", "2026-12-02T06:00:00Z"),
])
def test_numeric_and_date_operators_compare_the_request_value_with_the_policys_at_the_boundary(
        family, wanted, equal, below, above, test):
    """[OPS] (reference_policies_elements_condition_operators.html, numeric and date operators): ...LessThan and
    ...GreaterThan exclude the policy's value, ...Equals variants include it; a date as ISO 8601 or epoch seconds."""
    got = tuple(decide(allow(Action="*", Resource="*", Condition={family + test: {"k": wanted}}),
                       context={"k": value}).allowed for value in (equal, below, above))
    assert got == _ORDER[test]


@pytest.mark.parametrize("operator, wanted, holds_for, fails_for", [
    ("StringEquals", "a", "a", "A"), ("StringNotEquals", "a", "b", "a"),
    ("StringEqualsIgnoreCase", "ABC", "abc", "abd"), ("StringLike", "s-*", "s-x", "t-x"),
    ("Bool", "true", "true", "false"), ("BinaryEquals", "QmluYXJ5", "QmluYXJ5", "QmluYXJy"),
    ("IpAddress", "10.0.0.0/8", "10.1.2.3", "11.0.0.1"), ("NotIpAddress", "10.0.0.0/8", "11.0.0.1", "10.1.2.3"),
    ("ArnEquals", "arn:aws:iam::1:role/a", "arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b"),
    ("ArnNotEquals", "arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b", "arn:aws:iam::1:role/a"),
    ("ArnNotLike", "arn:aws:iam::*:role/s-*", "arn:aws:iam::1:user/s-x", "arn:aws:iam::1:role/s-x"),
])
def test_each_operator_holds_for_one_value_and_not_for_another(operator, wanted, holds_for, fails_for):
    policy = allow(Action="*", Resource="*", Condition={operator: {"k": wanted}})
    assert decide(policy, context={"k": holds_for}).allowed and not decide(policy, context={"k": fails_for}).allowed


def test_an_operator_it_does_not_know_never_allows_and_always_denies():
    unknown = {"StringSoundsLike": {"k": "v"}}
    assert not decide(allow(Action="*", Resource="*", Condition=unknown), context={"k": "v"}).allowed
    policy = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
                            {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": unknown}]}
    assert decide(policy).why == "explicit deny"


def test_policy_variables_resolve_from_the_context_with_defaults_and_literals():
    own = allow(Action="*", Resource="arn:aws:iam::*:user/${aws:username}")
    assert decide(own, resource="arn:aws:iam::1:user/ana", context={"aws:username": "ana"}).allowed
    assert not decide(own, resource="arn:aws:iam::1:user/bob", context={"aws:username": "ana"}).allowed
    assert not decide(own, resource="arn:aws:iam::1:user/ana").allowed  # no username: matches nothing
    fallback = allow(Action="*", Resource="arn:aws:s3:::b/${aws:PrincipalTag/team, 'shared'}/*")
    assert decide(fallback, resource="arn:aws:s3:::b/shared/x").allowed
    # "To add a default value to a variable, surround the default value with single quotes" (the page's "Specifying
    # default values"): one quote alone makes no default (unconfirmed what AWS does; the strictest: no match)
    unclosed = allow(Action="*", Resource="arn:aws:s3:::b/${aws:PrincipalTag/team, 'shared}/*")
    assert not any(decide(unclosed, resource=f"arn:aws:s3:::b/{team}/x").allowed for team in ("share", "shared"))
    literal = allow(Action="*", Resource="arn:aws:s3:::b/${*}")
    assert decide(literal, resource="arn:aws:s3:::b/*").allowed and not decide(literal, resource="arn:aws:s3:::b/x").allowed
    owner = allow(Action="*", Resource="*", Condition={"StringEquals": {"owner": "${aws:userid}"}})
    assert decide(owner, context={"owner": "AIDA1", "aws:userid": "AIDA1"}).allowed


def test_a_policy_variable_takes_a_one_valued_keys_value_and_a_several_valued_key_resolves_to_nothing():
    """reference_policies_variables.html does not say what a key with several values in the request context
    gives (unconfirmed, the strictest reading): nothing, so the variable's default or no match at all."""
    team = "arn:aws:s3:::b/${aws:PrincipalTag/team}/*"
    assert decide(allow(Action="*", Resource=team), resource="arn:aws:s3:::b/red/x",
                  context={"aws:PrincipalTag/team": ["red"]}).allowed
    assert not decide(allow(Action="*", Resource=team), resource="arn:aws:s3:::b/red/x",
                      context={"aws:PrincipalTag/team": ["red", "blue"]}).allowed
    shared = "arn:aws:s3:::b/${aws:PrincipalTag/team, 'shared'}/*"
    assert decide(allow(Action="*", Resource=shared), resource="arn:aws:s3:::b/shared/x",
                  context={"aws:PrincipalTag/team": ["red", "blue"]}).allowed


def test_a_condition_value_whose_variable_cannot_resolve_keeps_an_allow_from_applying_and_makes_a_deny_apply():
    """reference_policies_variables.html: "If AWS cannot resolve a variable, this might cause the entire statement
    to be invalid"; a key "not present" is one that "any attempt to match it fails and causes the statement to be
    invalid". What an invalid statement does is unsaid (unconfirmed, the strictest reading): an Allow that might
    not apply does not, whatever the condition's other values; a Deny that might apply does (its other conditions
    still count)."""
    values = {"StringEquals": {"owner": ["${aws:username}", "AIDA1"]}}  # a role's request has no aws:username
    assert not decide(allow(Action="*", Resource="*", Condition=values), context={"owner": "AIDA1"}).allowed
    assert decide(allow(Action="*", Resource="*", Condition=values),
                  context={"owner": "AIDA1", "aws:username": "ana"}).allowed
    fenced = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
                            {"Sid": "Own", "Effect": "Deny", "Action": "*", "Resource": "*",
                             "Condition": {"StringEquals": {"owner": ["${aws:username}", "x"]}}}]}
    assert (decide(fenced, context={"owner": "y"}).why, decide(fenced, context={"owner": "y"}).sid) == \
        ("explicit deny", "Own")
    assert decide(fenced, context={"owner": "y", "aws:username": "ana"}).allowed
    fenced["Statement"][1]["Condition"]["Bool"] = {"aws:SecureTransport": "false"}
    assert decide(fenced, context={"owner": "y", "aws:SecureTransport": "true"}).allowed


def test_a_resource_whose_variable_cannot_resolve_keeps_an_allow_from_applying_and_makes_a_deny_apply():
    """As for a condition value (above): the statement might be invalid; the strictest reading (unconfirmed)."""
    home = "arn:aws:s3:::b/${aws:username}/*"  # a role's request has no aws:username
    assert not decide(allow(Action="*", Resource=[home, "*"]), resource="arn:aws:s3:::b/x").allowed
    assert not decide(allow(Action="*", NotResource=home), resource="arn:aws:s3:::b/ana/x").allowed
    assert decide(allow(Action="*", NotResource=home), resource="arn:aws:s3:::b/bob/x",
                  context={"aws:username": "ana"}).allowed
    fenced = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
                            {"Sid": "Home", "Effect": "Deny", "Action": "s3:Delete*", "Resource": home}]}
    assert decide(fenced, "s3:DeleteObject", "arn:aws:s3:::b/x").sid == "Home"
    assert decide(fenced, "s3:GetObject", "arn:aws:s3:::b/x").allowed
    assert decide(fenced, "s3:DeleteObject", "arn:aws:s3:::b/x", {"aws:username": "ana"}).allowed


def test_a_permissions_boundary_intersects_and_its_deny_denies():
    everything = allow(Action="*", Resource="*")
    got = decide(everything, boundary=allow(Action="s3:*", Resource="*"))
    assert (got.allowed, got.why) == (False, "boundary")
    assert decide(everything, boundary=allow(Action="ec2:*", Resource="*")).allowed
    fenced = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
                            {"Sid": "Fence", "Effect": "Deny", "Action": "ec2:CreateVpc", "Resource": "*"}]}
    assert decide(everything, boundary=fenced).sid == "Fence"
