"""The authorisation policy: which verified callers may write, read or sign off which streams.

A small YAML file of CEL rules over the caller's verified identity, statically checked like a policy's
rules (unknown names and functions are errors with ``file:line:column``; ``anops-policy check`` checks it):

.. code-block:: yaml

    apiVersion: anops.dev/authorisation/v1
    rules:
      - id: github-jobs-write-their-repository
        actions: [write]
        allow: caller.issuer == "https://token.actions.githubusercontent.com"
               && stream == "github.com/" + caller.repository
      - id: release-streams-from-main-only
        effect: deny
        actions: [write]
        allow: stream.startsWith("github.com/acme/release-") && caller.claims.ref != "refs/heads/main"

Names: ``caller`` (``kind``, ``issuer``, ``subject``, ``repository``, ``claims`` — every verified claim),
``stream`` (the stream written or read) and ``action``. A call is denied when a ``deny`` rule holds (or
fails to evaluate: fail closed), else allowed when an ``allow`` rule holds, else denied; a denial names
the rule that decided it.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anops_policy.cel.evaluator import CelRuntimeError, CelSyntaxError, compile_expr, evaluate
from anops_policy.cel.tree import Tree
from anops_policy.cel.values import CelValueError, is_bool, to_cel
from anops_policy.errors import PolicyLoadError
from anops_policy.identity.tokens import Identity
from anops_policy.policy.cache import AUTHORISATION_API, is_authorisation_file
from anops_policy.policy.check import Names, check_tree
from anops_policy.yamlsafe import Marks, load_yaml_file

API_VERSION = AUTHORISATION_API
MAX_VERDICTS_PER_CALLER = 64
ACTIONS = ("write", "read", "signoff")
RULE_KEYS = ("id", "actions", "effect", "allow", "description")
CALLER = Names("caller field", {"kind": None, "issuer": None, "subject": None, "repository": None, "claims": None})
SCOPE = {"caller": CALLER, "stream": None, "action": None}


@dataclass(frozen=True)
class Rule:
    id: str
    actions: tuple[str, ...]
    deny: bool
    source: str
    tree: Tree[Any]


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    rule: str  # the rule that decided ("" when no rule allows)
    reason: str  # one line for the caller and the log


def _fail(marks: Marks, path: tuple[Any, ...], message: str, *, key: bool = False) -> PolicyLoadError:
    return PolicyLoadError(f"{marks.at(path, key=key)}: {message}")


def _rule(raw: Any, index: int, marks: Marks, seen: set[str]) -> Rule:
    path: tuple[Any, ...] = ("rules", index)
    if not isinstance(raw, dict):
        raise _fail(marks, path, "a rule is a mapping with id, actions and allow")
    for name in raw:
        if name not in RULE_KEYS:
            raise _fail(marks, (*path, name), f"unknown key '{name}' in a rule (known: {', '.join(RULE_KEYS)})",
                        key=True)
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not rule_id.strip():
        raise _fail(marks, path, "a rule needs an 'id' (named in every denial it decides)")
    if rule_id in seen:
        raise _fail(marks, (*path, "id"), f"rule id '{rule_id}' is used twice")
    seen.add(rule_id)
    actions = raw.get("actions")
    if not isinstance(actions, list) or not actions or any(a not in ACTIONS for a in actions):
        raise _fail(marks, (*path, "actions"), f"actions must be a list of {', '.join(ACTIONS)}")
    effect = raw.get("effect", "allow")
    if effect not in ("allow", "deny"):
        raise _fail(marks, (*path, "effect"), "effect must be allow or deny")
    source = raw.get("allow")
    if not isinstance(source, str) or not source.strip():
        raise _fail(marks, path, "a rule needs 'allow': a CEL condition (for effect: deny, the condition that denies)")
    try:
        compiled = compile_expr(source)
    except CelSyntaxError as exc:
        where = marks.inside((*path, "allow"), exc.line or 1, exc.column or 1)
        raise PolicyLoadError(f"{where}: rule '{rule_id}': {exc.message}") from None
    for problem in check_tree(compiled.tree, SCOPE):
        where = marks.inside((*path, "allow"), problem.line, problem.column)
        raise PolicyLoadError(f"{where}: rule '{rule_id}': {problem.message}")
    return Rule(rule_id, tuple(actions), effect == "deny", source, compiled.tree)


class Authorisation:
    def __init__(self, file: str, rules: tuple[Rule, ...]) -> None:
        self.file = file
        self.rules = rules
        # verdicts per identity object (a verified token's identity is reused while it is cached): the rules
        # read nothing but the identity, the action and the stream, so a verdict never changes
        self._verdicts: weakref.WeakKeyDictionary[Identity, dict[tuple[str, str], Verdict]] = \
            weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def decide(self, caller: Identity, action: str, stream: str) -> Verdict:
        with self._lock:
            known = self._verdicts.get(caller)
            verdict = known.get((action, stream)) if known is not None else None
        if verdict is not None:
            return verdict
        verdict = self._decide(caller, action, stream)
        with self._lock:
            known = self._verdicts.setdefault(caller, {})
            if len(known) < MAX_VERDICTS_PER_CALLER:
                known[(action, stream)] = verdict
        return verdict

    def _decide(self, caller: Identity, action: str, stream: str) -> Verdict:
        activation = {
            "caller": to_cel({"kind": caller.kind, "issuer": caller.issuer, "subject": caller.subject,
                              "repository": caller.repository, "claims": _json_claims(caller.claims)}, "caller"),
            "stream": to_cel(stream, "stream"),
            "action": to_cel(action, "action"),
        }
        rules = [r for r in self.rules if action in r.actions]
        for rule in (r for r in rules if r.deny):
            held, error = _holds(rule, activation)
            if held or error:
                why = f"its condition could not be evaluated ({error}): denied" if error else "its condition holds"
                return Verdict(False, rule.id, f"{action} on stream '{stream}' denied by rule '{rule.id}' ({why})")
        for rule in (r for r in rules if not r.deny):
            held, _error = _holds(rule, activation)
            if held:
                return Verdict(True, rule.id, f"{action} on stream '{stream}' allowed by rule '{rule.id}'")
        tried = ", ".join(r.id for r in rules if not r.deny) or "none"
        return Verdict(False, "", f"{action} on stream '{stream}' denied: no rule of {self.file} allows it for "
                       f"{caller.describe()} (allow rules for {action}: {tried})")


def _json_claims(claims: Mapping[str, Any]) -> dict[str, Any]:
    """The claims CEL can hold (JSON values; a float that is a whole number stays a float)."""
    out: dict[str, Any] = {}
    for name, value in claims.items():
        try:
            to_cel(value, f"caller.claims.{name}")
        except (CelValueError, ValueError, TypeError):
            continue
        out[str(name)] = value
    return out


def _holds(rule: Rule, activation: Mapping[str, Any]) -> tuple[bool, str]:
    try:
        value = evaluate(rule.tree, activation)
    except CelRuntimeError as exc:
        return False, str(exc)[:200]
    except Exception as exc:  # a CEL runtime's own error type: the rule did not hold
        return False, type(exc).__name__
    if not is_bool(value):
        return False, f"the condition is not a bool but {type(value).__name__}"
    return bool(value), ""


def load_authorisation(path: Path) -> Authorisation:
    data, marks = load_yaml_file(str(path), str(path))
    if not isinstance(data, dict):
        raise PolicyLoadError(f"{path}: an authorisation policy is a mapping with apiVersion and rules")
    for name in data:
        if name not in ("apiVersion", "rules", "description"):
            raise _fail(marks, (name,), f"unknown key '{name}' (known: apiVersion, rules, description)", key=True)
    if data.get("apiVersion") != API_VERSION:
        raise _fail(marks, ("apiVersion",), f"apiVersion must be {API_VERSION}")
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise _fail(marks, ("rules",), "rules must be a non-empty list")
    seen: set[str] = set()
    return Authorisation(str(path), tuple(_rule(raw, i, marks, seen) for i, raw in enumerate(raw_rules)))


__all__ = ["ACTIONS", "Authorisation", "Verdict", "is_authorisation_file", "load_authorisation"]
