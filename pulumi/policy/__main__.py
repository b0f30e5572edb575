"""Entry point of the policy pack: `pulumi preview --policy-pack pulumi/policy`."""

from pulumi_policy import PolicyPack
from vigie_policies import POLICIES

PolicyPack(name="vigie-detector-fleet", policies=POLICIES)
