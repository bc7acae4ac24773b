"""Redshift Serverless's control plane on the rehearsal's endpoint (sparkify_nb/local/rehearsal/serverless.py),
the rest of its rules: how long a status in transit lasts here, a name taken once per Region, a maximum
capacity equal to the base, a deleted namespace's life (a sibling of tests/test_rehearsal_serverless.py, which
is full)."""

from __future__ import annotations

import time
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.test_rehearsal_serverless import code, made, settle, sl  # noqa: F401 (sl: a fixture)


def test_a_new_workgroup_is_creating_for_about_half_a_second_so_a_rehearsals_waiters_finish_fast(sl):  # noqa: F811
    """Rule 1: AWS takes minutes; here each step lasts half a second (STEP_S), so 01's waiter, polling, sees
    CREATING and then AVAILABLE well within its first seconds."""
    name = f"sv-{uuid.uuid4().hex[:8]}"
    sl.create_namespace(namespaceName=name)
    made_at = time.monotonic()  # before the request: the step cannot have begun earlier
    sl.create_workgroup(workgroupName=name, namespaceName=name, baseCapacity=8)
    seen = []
    while time.monotonic() - made_at < 5:
        status = sl.get_workgroup(workgroupName=name)["workgroup"]["status"]
        seen.append(status)
        if status == "AVAILABLE":
            break
        time.sleep(0.05)
    took = time.monotonic() - made_at
    assert seen[0] == "CREATING" and seen[-1] == "AVAILABLE", seen
    assert 0.5 <= took < 1.4, took


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
