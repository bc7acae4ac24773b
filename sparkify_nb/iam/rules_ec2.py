"""The operator policy's EC2 rules: the network's ids are generated, so every
create must tag the stack on creation and everything else acts only on what
carries the tag (:mod:`.scopes` says how rules are chosen)."""

from __future__ import annotations

from typing import Any

from .rule import Rule, Stack, request_tagged, resource_tagged


from .tags import TAG_KEY

EC2_TYPES = ("vpc", "subnet", "security-group", "internet-gateway", "route-table", "vpc-endpoint")
# Each EC2 create: the type it makes, then the existing types it uses (the VPC a subnet goes into, the route
# table an endpoint is added to). AWS authorises a create once per resource, each with the condition keys
# of its own resource-type row (the SAR's CreateSubnet: aws:RequestTag / aws:TagKeys on "subnet*",
# aws:ResourceTag on "vpc*"): so the new resource is allowed under the request tag (Create...TaggedAsThisStack)
# and each existing one it uses under its own tag (UseOur...InCreates). A request tag is never in the VPC
# row's context: when the create's Allow was the only one, it refused every create in a VPC. Both name every
# type of the create (parliament asks each statement to name the action's required types); each condition
# holds only on the row that carries its key. The Deny of :data:`EC2_INSIDE_OURS` keeps refusing any
# existing one not tagged ours. (A new security group rule is not a resource we tag:
# AuthorizeSecurityGroupIngress is scoped by its security group, the one it requires.)
EC2_CREATES = {"ec2:CreateVpc": ("vpc",), "ec2:CreateSubnet": ("subnet", "vpc"),
               "ec2:CreateSecurityGroup": ("security-group", "vpc"),
               "ec2:CreateInternetGateway": ("internet-gateway",), "ec2:CreateRouteTable": ("route-table", "vpc"),
               "ec2:CreateVpcEndpoint": ("vpc-endpoint", "vpc", "route-table")}
EC2_INSIDE_OURS = {t: frozenset(a for a, (_, *used) in EC2_CREATES.items() if t in used) for t in ("vpc", "route-table")}
EC2_ON_TAGGED = frozenset({
    "ec2:AttachInternetGateway", "ec2:DetachInternetGateway", "ec2:DeleteInternetGateway",
    "ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup",
    "ec2:CreateRoute", "ec2:AssociateRouteTable", "ec2:DisassociateRouteTable", "ec2:DeleteRouteTable",
    "ec2:ModifyVpcEndpoint", "ec2:DeleteVpcEndpoints", "ec2:DeleteSubnet", "ec2:DeleteVpc"})


def _ec2(stack: Stack, *types: str) -> list[str]:
    return [stack.arn("ec2", f"{t}/*") for t in types]


def _tag_while_creating(stack: Stack) -> dict[str, Any]:
    """EC2 may tag only while one of our creates runs
    (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html)."""
    return {"StringEquals": {"ec2:CreateAction": sorted(a.split(":")[1] for a in EC2_CREATES),
                             f"aws:RequestTag/{TAG_KEY}": stack.name}}


RULES: list[Rule] = [
    *[Rule(f"Create{types[0].title().replace('-', '')}TaggedAsThisStack", frozenset({action}),
           lambda s, types=types: _ec2(s, *types), request_tagged,
           f"a new {types[0]}, tagged sparkify:stack on creation")
      for action, types in EC2_CREATES.items()],
    *[Rule(f"UseOur{t.title().replace('-', '')}sInCreates", actions,
           lambda s, actions=actions: _ec2(s, *dict.fromkeys(x for a in sorted(actions) for x in EC2_CREATES[a])),
           resource_tagged,
           f"a create goes into (or adds to) an existing {t} only when it is tagged ours")
      for t, actions in EC2_INSIDE_OURS.items()],
    *[Rule(f"NothingInside{t.title().replace('-', '')}sNotOurs", actions, lambda s, t=t: _ec2(s, t),
           lambda s: {"StringNotEquals": {f"aws:ResourceTag/{TAG_KEY}": s.name}},
           f"a create may use only a {t} tagged ours", effect="Deny")
      for t, actions in EC2_INSIDE_OURS.items()],
    Rule("TagOnlyWhileCreating", frozenset({"ec2:CreateTags"}), lambda s: _ec2(s, *EC2_TYPES), _tag_while_creating,
         "tags are set by our creates (TagSpecifications); no existing resource can be tagged as ours"),
    Rule("NetworkTaggedAsThisStack", EC2_ON_TAGGED, lambda s: _ec2(s, *EC2_TYPES), resource_tagged,
         "change and delete only the VPC, subnets, security group, gateway, route table and endpoint tagged ours"),
]
