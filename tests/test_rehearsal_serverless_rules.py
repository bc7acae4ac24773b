"""Redshift Serverless's control plane on the rehearsal's endpoint (sparkify_nb/local/rehearsal/serverless.py),
the rest of its rules: how long a status in transit lasts here, a name taken once per Region, a maximum
capacity equal to the base, a deleted namespace's life (a sibling of tests/test_rehearsal_serverless.py, which
is full)."""

from __future__ import annotations

import time
import uuid

import pytest
from botocore.exceptions import ClientError

from sparkify_nb.local.rehearsal import serverless as service
from tests.test_rehearsal_serverless import code, made, raw_sl, settle, sl  # noqa: F401 (fixtures: sl, raw_sl)


def test_a_new_workgroup_is_creating_for_about_half_a_second_so_a_rehearsals_waiters_finish_fast(sl):  # noqa: F811
    """Rule 1: AWS takes minutes; here each step lasts half a second (STEP_S), so 01's waiter, polling, sees
    CREATING and then AVAILABLE well within its first seconds."""
    name = f"sv-{uuid.uuid4().hex[:8]}"
    sl.create_namespace(namespaceName=name)
    asked_at = time.monotonic()  # before the request: the step cannot have begun earlier
    sl.create_workgroup(workgroupName=name, namespaceName=name, baseCapacity=8)
    made_at = time.monotonic()  # after its answer: the step began before
    seen = []
    while time.monotonic() - made_at < 5:
        status = sl.get_workgroup(workgroupName=name)["workgroup"]["status"]
        seen.append(status)
        if status == "AVAILABLE":
            break
        time.sleep(0.05)
    now = time.monotonic()
    assert seen[0] == "CREATING" and seen[-1] == "AVAILABLE", seen
    assert now - asked_at >= 0.5 and now - made_at < 1.25, (now - asked_at, now - made_at)


def test_a_workgroup_name_is_taken_once_per_region_whatever_its_namespace(sl):  # noqa: F811
    """[API CreateWorkgroup]: a workgroup's name names it in its Region (GetWorkgroup takes the name alone), so a
    second workgroup of the same name, on another namespace, is a conflict and leaves the first as it was."""
    first = made(sl)
    name, other = first["workgroupName"], f"sv-{uuid.uuid4().hex[:8]}"
    sl.create_namespace(namespaceName=other)
    with pytest.raises(ClientError) as err:
        sl.create_workgroup(workgroupName=name, namespaceName=other, baseCapacity=16)
    assert code(err) == "ConflictException" and f"Workgroup {name} already exists" in str(err.value)
    kept = sl.get_workgroup(workgroupName=name)["workgroup"]
    assert (kept["workgroupArn"], kept["namespaceName"], kept["baseCapacity"]) == (first["workgroupArn"], name, 8)
    # the other namespace is still free for a workgroup of its own (rule 4 counted none on it)
    assert sl.create_workgroup(workgroupName=other, namespaceName=other, baseCapacity=8)["workgroup"][
        "namespaceName"] == other


def test_a_maximum_capacity_equal_to_the_base_is_taken_on_create_and_on_update(sl):  # noqa: F811
    """Rule 3: the maximum "serves as the upper limit of RPUs" [LIMIT]; only a maximum below the base is refused
    (unconfirmed), so one equal to it caps the workgroup at its base."""
    wg = made(sl, base=16, maxCapacity=16)
    assert (wg["baseCapacity"], wg["maxCapacity"]) == (16, 16)
    name = wg["workgroupName"]
    assert sl.update_workgroup(workgroupName=name, maxCapacity=32)["workgroup"]["maxCapacity"] == 32
    settle(sl, name)
    assert sl.update_workgroup(workgroupName=name, baseCapacity=32)["workgroup"]["baseCapacity"] == 32
    settle(sl, name)
    with pytest.raises(ClientError) as err:
        sl.update_workgroup(workgroupName=name, baseCapacity=40)
    assert code(err) == "ValidationException" and "maxCapacity 32 is below baseCapacity 40" in str(err.value)


def test_a_deleted_namespace_is_deleting_then_gone_with_its_tags(sl):  # noqa: F811
    """Rule 1 for namespaces [API Namespace ``status``]: DELETING, shown once, then ResourceNotFoundException, and
    its ARN takes no more tags (rule 6: ListTagsForResource on an ARN that does not exist)."""
    name = f"sv-{uuid.uuid4().hex[:8]}"
    arn = sl.create_namespace(namespaceName=name, tags=[{"key": "stack", "value": name}])["namespace"]["namespaceArn"]
    assert sl.delete_namespace(namespaceName=name)["namespace"]["status"] == "DELETING"
    time.sleep(0.6)
    assert sl.get_namespace(namespaceName=name)["namespace"]["status"] == "DELETING"
    with pytest.raises(ClientError) as err:
        sl.get_namespace(namespaceName=name)
    assert code(err) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:
        sl.list_tags_for_resource(resourceArn=arn)
    assert code(err) == "ResourceNotFoundException"
    assert sl.create_namespace(namespaceName=name)["namespace"]["namespaceArn"] != arn  # the name is free again


def test_update_namespace_takes_one_setting_or_one_pair_aws_requires_together(sl, raw_sl):  # noqa: F811
    """[API UpdateNamespace]: "Unless required, you can't update multiple parameters in one request"; ``iamRoles``
    "must be updated together with defaultIamRoleArn" and the reverse; ``adminUsername`` "must be updated together
    with adminUserPassword" and the reverse. Each refusal is a ValidationException and changes nothing."""
    name, role = f"sv-{uuid.uuid4().hex[:8]}", "arn:aws:iam::123456789012:role/copy"
    sl.create_namespace(namespaceName=name, adminUsername="awsuser", logExports=["userlog"])
    for given, said in (({"iamRoles": [role]}, "iamRoles and defaultIamRoleArn must be updated together"),
                        ({"defaultIamRoleArn": role}, "iamRoles and defaultIamRoleArn must be updated together"),
                        ({"adminUsername": "ana"}, "adminUsername and adminUserPassword must be updated together"),
                        ({"adminUserPassword": "Secret-123"}, "adminUsername and adminUserPassword must be updated"),
                        ({"logExports": [], "kmsKeyId": "alias/mine"}, "(this one gives kmsKeyId, logExports)"),
                        ({"iamRoles": [role], "defaultIamRoleArn": role, "logExports": []},
                         "(this one gives defaultIamRoleArn, iamRoles, logExports)"),
                        ({}, "(this one gives none)")):
        with pytest.raises(ClientError) as err:
            raw_sl.update_namespace(namespaceName=name, **given)
        assert code(err) == "ValidationException" and said in str(err.value), given
    ns = sl.get_namespace(namespaceName=name)["namespace"]
    assert (ns["iamRoles"], ns["adminUsername"], ns["logExports"], ns["kmsKeyId"]) == (
        [], "awsuser", ["userlog"], "AWS_OWNED_KMS_KEY")
    sl.update_namespace(namespaceName=name, iamRoles=[role], defaultIamRoleArn=role)
    sl.update_namespace(namespaceName=name, adminUsername="ana", adminUserPassword="Secret-123")
    sl.update_namespace(namespaceName=name, kmsKeyId="alias/mine")
    ns = sl.get_namespace(namespaceName=name)["namespace"]
    assert (ns["defaultIamRoleArn"], len(ns["iamRoles"]), ns["adminUsername"], ns["kmsKeyId"], ns["logExports"]) == (
        role, 1, "ana", "alias/mine", ["userlog"])


def test_a_managed_admin_password_takes_no_password_of_the_callers_and_its_key_only_when_managed(sl):  # noqa: F811
    """[API CreateNamespace]: "You can't use adminUserPassword if manageAdminPassword is true";
    ``adminPasswordSecretKmsKeyId`` "You can only use this parameter if manageAdminPassword is true"."""
    name = f"sv-{uuid.uuid4().hex[:8]}"
    for given, said in (({"manageAdminPassword": True, "adminUserPassword": "Secret-123"},
                         "can't use adminUserPassword if manageAdminPassword is true"),
                        ({"adminPasswordSecretKmsKeyId": "alias/mine"},
                         "adminPasswordSecretKmsKeyId only if manageAdminPassword is true"),
                        ({"manageAdminPassword": False, "adminPasswordSecretKmsKeyId": "alias/mine"},
                         "adminPasswordSecretKmsKeyId only if manageAdminPassword is true")):
        with pytest.raises(ClientError) as err:
            sl.create_namespace(namespaceName=name, adminUsername="awsuser", **given)
        assert code(err) == "ValidationException" and said in str(err.value), given
    managed = sl.create_namespace(namespaceName=name, adminUsername="awsuser", manageAdminPassword=True,
                                  adminPasswordSecretKmsKeyId="alias/mine")["namespace"]
    own = sl.create_namespace(namespaceName=name + "-b", adminUsername="awsuser", adminUserPassword="Secret-123",
                              manageAdminPassword=False)["namespace"]
    assert "adminPasswordSecretArn" in managed and "adminPasswordSecretArn" not in own


@pytest.mark.parametrize("port, ok", [(5431, True), (5439, True), (5455, True), (8191, True), (8215, True),
                                      (5430, False), (5456, False), (6000, False), (8190, False), (8216, False),
                                      (5432 + 8191, False)])
def test_a_workgroups_port_is_one_of_the_two_ranges_aws_lists(port, ok):
    """[API CreateWorkgroup, UpdateWorkgroup ``port``]: "Valid port ranges are 5431-5455 and 8191-8215"."""
    assert service.port_ok(port) is ok


def test_a_port_outside_aws_ranges_is_refused_on_create_and_on_update(sl):  # noqa: F811
    name = f"sv-{uuid.uuid4().hex[:8]}"
    sl.create_namespace(namespaceName=name)
    with pytest.raises(ClientError) as err:
        sl.create_workgroup(workgroupName=name, namespaceName=name, baseCapacity=8, port=5430)
    assert code(err) == "ValidationException" and "port 5430 is not" in str(err.value)
    wg = made(sl, port=8215)
    with pytest.raises(ClientError) as err:
        sl.update_workgroup(workgroupName=wg["workgroupName"], port=8216)
    assert code(err) == "ValidationException" and "port 8216 is not" in str(err.value)
    kept = sl.get_workgroup(workgroupName=wg["workgroupName"])["workgroup"]
    assert (kept["port"], kept["endpoint"]["port"], kept["status"]) == (8215, 8215, "AVAILABLE")
