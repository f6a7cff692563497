"""Cipher policies (TOML): load one, check a GSKit configuration or a scan against it."""
from gskit.policy.check import PolicyResult, check_configuration, check_scan
from gskit.policy.model import Policy, PolicyError, load_policy, parse_policy, shipped_policies

__all__ = ["Policy", "PolicyError", "PolicyResult", "check_configuration", "check_scan",
           "load_policy", "parse_policy", "shipped_policies"]
