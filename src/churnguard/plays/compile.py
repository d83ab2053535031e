"""Compile a plain-language description into a play.

The grammar (``churnguard.plays.grammar``) reads the text into clauses. This module turns
the clauses into a play: the trigger picks the shipped play of the same signal as the
template (its steps, stop conditions, offers and pacing), and every other clause changes one
field of it. The result is validated by the play schema. A clause that cannot apply to the
chosen trigger, two clauses that disagree, or words the grammar did not read are returned
as problems with their spans, and then no play is produced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from churnguard.domain import SignalKind
from churnguard.plays import grammar
from churnguard.plays.grammar import Clause, Problem
from churnguard.plays.loader import BUILTIN, load_play_file
from churnguard.plays.schema import Play

# The shipped play each trigger starts from.
TEMPLATES = {
    SignalKind.SILENT_CHURN: "silent_churn",
    SignalKind.FAILED_PAYMENT: "failed_payment",
    SignalKind.CANCEL_REQUEST: "cancel_intercept",
    SignalKind.CHURNED: "win_back",
}
_TRIGGER_RULES = {
    "drop": SignalKind.SILENT_CHURN,
    "failed_payment": SignalKind.FAILED_PAYMENT,
    "cancel_request": SignalKind.CANCEL_REQUEST,
    "churned": SignalKind.CHURNED,
}
_USAGE_RULES = ("event_types", "usage", "quantity", "min_before")
_OFFER_RULES = {
    "offer_free_month": "free_month", "offer_training": "training_session", "offer_pause": "pause_subscription",
    "offer_downgrade": "plan_downgrade", "offer_trial": "extended_trial", "offer_discount": "discount",
}
_LOST_ACTIONS = (("hand", "handoff"), ("notify", "notify_and_stop"), ("tell", "notify_and_stop"), ("stop", "stop"))


@dataclass
class Compiled:
    """The outcome of one compilation: a valid play, or the problems that prevented one."""

    text: str
    source: str  # "grammar" or the model's name
    play: Play | None = None
    clauses: list[Clause] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)  # spans a model translated that the grammar could not read

    @property
    def ok(self) -> bool:
        return self.play is not None and not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "source": self.source,
            "play": self.play.model_dump(mode="json") if self.play else None,
            "clauses": [clause.to_json() for clause in self.clauses],
            "problems": [problem.to_json() for problem in self.problems],
            "notes": [note.to_json() for note in self.notes],
        }


def compile_text(text: str, name: str | None = None) -> Compiled:
    """Compile ``text`` with the offline grammar; ``name`` overrides the derived play name."""
    clauses, problems = grammar.read(text)
    result = Compiled(text, "grammar", clauses=clauses, problems=list(problems))
    builder = _Builder(text, clauses, result.problems)
    data = builder.build()
    if data is None or result.problems:
        return result

    data["name"] = name or builder.name or derive_name(data)
    data["description"] = describe(text)
    try:
        result.play = Play.model_validate(data)
    except ValidationError as exc:
        result.problems += [Problem(0, len(text), text, f"{_loc(error)}: {error['msg']}") for error in exc.errors()]
    return result


def describe(text: str) -> str:
    """Return the one-line description a compiled play carries: the text it came from."""
    line = " ".join(text.split())
    return line if len(line) <= 240 else line[:237] + "..."


def derive_name(data: dict[str, Any]) -> str:
    """Name a play after its template and the parameters the text set, e.g. ``silent_churn_login_70_30d``."""
    trigger = data["trigger"]
    parts = [data["name"]]
    parts += list(trigger.get("event_types") or ())
    for key, suffix in (("drop_pct", ""), ("window_days", "d"), ("churned_within_days", "d"), ("renewal_within_days", "d_renewal")):
        if trigger.get(key) is not None:
            parts.append(f"{trigger[key]:g}{suffix}" if isinstance(trigger[key], float) else f"{trigger[key]}{suffix}")
    if data["audience"].get("min_mrr_cents"):
        parts.append(f"mrr{data['audience']['min_mrr_cents'] // 100}")
    name = re.sub(r"[^a-z0-9_]+", "_", "_".join(str(part) for part in parts).lower()).strip("_")
    return name[:64]


def _loc(error: Any) -> str:
    return ".".join(str(part) for part in error["loc"]) or "play"


class _Builder:
    """Apply clauses to the template play, collecting problems instead of guessing."""

    def __init__(self, text: str, clauses: list[Clause], problems: list[Problem]) -> None:
        self.text = text
        self.clauses = clauses
        self.problems = problems
        self.name: str | None = None
        self._set: dict[str, tuple[Any, Clause]] = {}

    def build(self) -> dict[str, Any] | None:
        signal = self._signal()
        if signal is None:
            return None
        data = load_play_file(BUILTIN / f"{TEMPLATES[signal]}.toml").model_dump(mode="json")
        data["trigger"] = {"signal": signal.value}
        for clause in self.clauses:
            handler = getattr(self, f"_on_{clause.rule}", None)
            if handler is not None:
                handler(clause, data, signal)
        self._actions(data)
        return data

    def _signal(self) -> SignalKind | None:
        triggers = [clause for clause in self.clauses if clause.rule in _TRIGGER_RULES]
        kinds = {_TRIGGER_RULES[clause.rule] for clause in triggers}
        if len(kinds) > 1:
            second = next(c for c in triggers if _TRIGGER_RULES[c.rule] != _TRIGGER_RULES[triggers[0].rule])
            self._problem(second, f"a play has one trigger; this clause asks for {_TRIGGER_RULES[second.rule].value} "
                                  f"after {_TRIGGER_RULES[triggers[0].rule].value} ({triggers[0].text!r}); write two plays")
            return None
        if kinds:
            return kinds.pop()

        usage = [clause for clause in self.clauses if clause.rule in _USAGE_RULES + ("window",)]
        if usage:
            self._problem(usage[0], "say how far usage must drop, for example 'dropped 50% in the last 30 days'")
        else:
            self.problems.append(Problem(0, len(self.text), self.text, "no trigger found: say what starts the play "
                                         "(usage dropped N%, a failed payment, a cancel request, churned in the last N days)"))
        return None

    def _problem(self, clause: Clause, message: str) -> None:
        self.problems.append(Problem(clause.start, clause.end, clause.text, message))

    def _put(self, clause: Clause, section: dict[str, Any], key: str, value: Any) -> None:
        """Set one field; a second clause that sets it to another value is a conflict."""
        slot = f"{id(section)}.{key}"
        earlier = self._set.get(slot)
        if earlier is not None and earlier[0] != value:
            self._problem(clause, f"conflicts with {earlier[1].text!r}, which already set {key} to {earlier[0]!r}")
            return
        self._set[slot] = (value, clause)
        section[key] = value

    def _usage_only(self, clause: Clause, signal: SignalKind) -> bool:
        if signal != SignalKind.SILENT_CHURN:
            self._problem(clause, f"only a usage-drop trigger can use this; the trigger here is {signal.value}")
            return False
        return True

    # Trigger clauses.

    def _on_drop(self, clause: Clause, data: dict[str, Any], signal: SignalKind) -> None:
        self._put(clause, data["trigger"], "drop_pct", grammar.number(_value(clause, "pct")))

    def _on_event_types(self, clause: Clause, data: dict[str, Any], signal: SignalKind) -> None:
        if self._usage_only(clause, signal):
            self._put(clause, data["trigger"], "event_types", list(grammar.event_types(clause.values["types"])))

    def _on_usage(self, clause: Clause, data: dict[str, Any], signal: SignalKind) -> None:
        self._usage_only(clause, signal)

    def _on_quantity(self, clause: Clause, data: dict[str, Any], signal: SignalKind) -> None:
        if self._usage_only(clause, signal):
            self._put(clause, data["trigger"], "metric", "quantity" if "quantity" in clause.values["metric"].lower() else "events")

    def _on_min_before(self, clause: Clause, data: dict[str, Any], signal: SignalKind) -> None:
        if self._usage_only(clause, signal):
            self._put(clause, data["trigger"], "min_before", grammar.number(clause.values["n"]))

    def _on_window(self, clause: Clause, data: dict[str, Any], signal: SignalKind) -> None:
        if clause.values.get("over"):
            count = grammar.days(None, clause.values["over"])
        else:
            count = grammar.days(_value(clause, "n"), _value(clause, "unit"))
        if signal == SignalKind.SILENT_CHURN:
            self._put(clause, data["trigger"], "window_days", count)
        elif signal == SignalKind.CHURNED:
            self._put(clause, data["trigger"], "churned_within_days", count)
        else:
            self._problem(clause, f"a time window applies to usage drops and churn, not to {signal.value}; "
                                  "its lookback comes from the workspace settings")

    def _on_churned(self, clause: Clause, data: dict[str, Any], signal: SignalKind) -> None:
        data["trigger"].setdefault("churned_within_days", 90)

    def _on_renewal(self, clause: Clause, data: dict[str, Any], signal: SignalKind) -> None:
        if signal == SignalKind.CHURNED:
            self._problem(clause, "a churned account has no renewal ahead")
            return
        self._put(clause, data["trigger"], "renewal_within_days", grammar.days(clause.values["n"], clause.values["unit"]))

    def _on_mrr(self, clause: Clause, data: dict[str, Any], signal: SignalKind) -> None:
        cents = _cents(_value(clause, "amount"), _value(clause, "k"))
        comparison = " ".join(_value(clause, "cmp").lower().split())
        if comparison in ("above", "over", "more than", "greater than", ">"):
            self._put(clause, data["audience"], "min_mrr_cents", cents + 1)
        elif comparison in ("at least", ">="):
            self._put(clause, data["audience"], "min_mrr_cents", cents)
        elif comparison in ("at most", "<="):
            self._put(clause, data["audience"], "max_mrr_cents", cents)
        else:
            self._put(clause, data["audience"], "max_mrr_cents", max(cents - 1, 0))

    def _on_plans(self, clause: Clause, data: dict[str, Any], signal: SignalKind) -> None:
        names = [part for part in re.split(r"\s+(?:or|and)\s+", clause.values["plans"]) if part]
        self._put(clause, data["audience"], "plans", names)

    def _on_name(self, clause: Clause, data: dict[str, Any], signal: SignalKind) -> None:
        self.name = clause.values["name"]

    # Steps, replies, offers, approval.

    def _on_follow_up(self, clause: Clause, data: dict[str, Any], signal: SignalKind) -> None:
        touches = [step for step in data["steps"] if step["kind"] == "touch"]
        if len(touches) < 2:
            self._problem(clause, f"the {signal.value} play has no follow-up message to time")
            return
        self._put(clause, touches[1], "wait_days", grammar.days(clause.values["n"], clause.values["unit"]))

    def _on_single_touch(self, clause: Clause, data: dict[str, Any], signal: SignalKind) -> None:
        first = next(index for index, step in enumerate(data["steps"]) if step["kind"] == "touch")
        data["steps"] = [step for index, step in enumerate(data["steps"]) if step["kind"] == "handoff" or index == first]

    def _on_handoff_step(self, clause: Clause, data: dict[str, Any], signal: SignalKind) -> None:
        handoff = next(step for step in data["steps"] if step["kind"] == "handoff")
        self._put(clause, handoff, "wait_days", grammar.days(clause.values["n"], clause.values["unit"]))

    def _on_book_call(self, clause: Clause, data: dict[str, Any], signal: SignalKind) -> None:
        self._put(clause, data["on_reply"], "save", "book_call")

    def _on_lost_action(self, clause: Clause, data: dict[str, Any], signal: SignalKind) -> None:
        words = _value(clause, "act").lower()
        action = next(value for prefix, value in _LOST_ACTIONS if prefix in words)
        self._put(clause, data["on_reply"], "lost", action)

    def _on_reference_usage(self, clause: Clause, data: dict[str, Any], signal: SignalKind) -> None:
        if signal not in (SignalKind.SILENT_CHURN, SignalKind.CHURNED):
            self._problem(clause, f"only usage-drop and win-back drafts can reference past use; the trigger here is {signal.value}")

    def _on_no_offer(self, clause: Clause, data: dict[str, Any], signal: SignalKind) -> None:
        self._put(clause, data["offer"], "allowed", [])

    def _on_anytime(self, clause: Clause, data: dict[str, Any], signal: SignalKind) -> None:
        self._put(clause, data["send_window"], "anytime", True)

    def _on_approval(self, clause: Clause, data: dict[str, Any], signal: SignalKind) -> None:
        self._put(clause, data["approval"], "required", True)
        if clause.values.get("amount"):
            self._put(clause, data["approval"], "mrr_threshold_cents", _cents(clause.values["amount"], clause.values.get("k")))

    def _actions(self, data: dict[str, Any]) -> None:
        """Apply offers together, and hold drafts for approval when the text drafts but never sends."""
        offers = [clause for clause in self.clauses if clause.rule in _OFFER_RULES]
        if offers:
            self._offers(offers, data)
        rules = {clause.rule for clause in self.clauses}
        if "draft" in rules and "send" not in rules and "approval" not in rules:
            data["approval"]["required"] = True

    def _offers(self, offers: list[Clause], data: dict[str, Any]) -> None:
        refusal = next((clause for clause in self.clauses if clause.rule == "no_offer"), None)
        if refusal is not None:
            self._problem(offers[0], f"conflicts with {refusal.text!r}")
            return
        allowed: list[str] = []
        data["offer"].update(max_discount_pct=0, max_free_months=0)
        for clause in offers:
            kind = _OFFER_RULES[clause.rule]
            allowed += [kind] if kind not in allowed else []
            if kind == "discount":
                self._put(clause, data["offer"], "max_discount_pct", grammar.number(_value(clause, "pct")))
            if kind == "free_month":
                self._put(clause, data["offer"], "max_free_months", int(grammar.number(clause.values.get("n", "1"))))
        data["offer"]["allowed"] = allowed


def _value(clause: Clause, base: str) -> str:
    """Return the captured value of ``base`` or of its numbered twins (``pct2``) in another alternative."""
    for key, value in clause.values.items():
        if key.rstrip("0123456789") == base:
            return value
    return ""


def _cents(amount: str, thousands: str | None) -> int:
    value = float(amount.replace(",", ""))
    return int(round(value * (1000 if thousands else 1) * 100))
