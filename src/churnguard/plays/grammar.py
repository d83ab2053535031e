"""The offline play language: phrase rules that turn plain text into clauses with spans.

Each rule is a regular expression with a name. The rules run in order over the text; a
match is masked so no later rule reads the same words twice. What is left after every rule
has run must be filler (articles, pronouns, "customer", "and"). Any other word is reported
with its span, so nothing the grammar does not know is silently dropped. Negations ("not",
"unless", "except") are never filler. docs/plays-language.md lists the phrases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_MASK = "\x00"

WORD_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fourteen": 14, "fifteen": 15,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "quarter": 90, "year": 365}

# Words people write for the event types churnguard's importers produce.
EVENT_ALIASES = {
    "login": r"log-?ins?|logins|sign-?ins?|signins|logging\s+in|log\s+ins",
    "dashboard_view": r"dashboard\s+views?|dashboard",
    "report_export": r"report\s+exports?|exports?",
    "api_call": r"api\s+calls?|api\s+requests?|api",
}

FILLER = frozenset("""
a an the any all every each for of to in on at by with from into as is are was were be been being has have had
it its they them their theirs there this that these those which who whose whom where when then if and also
customer customers account accounts client clients user users company companies subscriber subscribers
my our me us i we you your please just only automatically play new create make set up so everyone everybody
""".split())

_NUM = r"\d+(?:\.\d+)?|" + "|".join(sorted(WORD_NUMBERS, key=len, reverse=True))
_UNIT = r"days?|weeks?|months?|quarters?|years?"


def _num(group: str) -> str:
    return rf"(?P<{group}>{_NUM})"


def _pct(group: str) -> str:
    return _num(group) + r"\s*(?:%|percent|per\s*cent)"


def _money(suffix: str) -> str:
    return (rf"(?:[$€£]\s*)?(?P<amount{suffix}>\d[\d,]*(?:\.\d+)?)\s*(?P<k{suffix}>k\b|thousand)?"
            r"(?:\s*(?:usd|eur|gbp|dollars|euros|pounds)\b)?")

_MRR_WORDS = r"(?:mrr|monthly\s+recurring\s+revenue|monthly\s+revenue|(?:a|per)\s+month|/\s*mo(?:nth)?)"
_ABOVE = r"above|over|more\s+than|greater\s+than|at\s+least|>=|>"
_BELOW = r"below|under|less\s+than|at\s+most|<=|<"
_EVT = "|".join(f"(?:{alias})" for alias in EVENT_ALIASES.values()) + r"|[\"'`][a-z][a-z0-9_.:-]*[\"'`]"
_EVT_LIST = rf"(?:{_EVT})(?:\s*(?:,|/|\bor\b|\band\b)\s*(?:{_EVT}))*"
_REPLY = r"(?:reply|replies|response|responses|answer|answers)"
_WHO = r"(?:me|the\s+csm|my\s+csm|their\s+csm|a\s+human|a\s+person|the\s+account\s+owner|the\s+team)"
_SILENCE = r"(?:if|when)\s+(?:they\s+|there\s+is\s+)?(?:no\s+(?:reply|answer|response)|(?:don['’]t|do\s+not)\s+(?:reply|answer|respond)|stay\s+silent)"
_ADJ = r"(?:(?:short|brief|friendly|personal(?:ized|ised)?|warm|polite|quick|gentle|custom)\s+)*"
_NOUN = (rf"(?:a\s+|an\s+)?{_ADJ}(?:check-?\s?in|note|email|message|reminder|follow-?up|outreach"
         r"|win-?back(?:\s+(?:note|email|message))?|save\s+offer|payment\s+(?:note|reminder))")


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]


def _rule(name: str, *alternatives: str) -> Rule:
    body = "|".join(f"(?:{alt})" for alt in alternatives)
    return Rule(name, re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.IGNORECASE))


# Order matters: longer, more specific phrases run first and mask what they read.
RULES: tuple[Rule, ...] = (
    _rule("name", r"(?:call|name)\s+(?:it|the\s+play|this\s+play)\s+[\"'`]?(?P<name>[a-z][a-z0-9_]{1,63})[\"'`]?"),
    _rule("approval",
          rf"(?:require|requires|need|needs|wait\s+for|get|ask\s+for|with)\s+(?:my\s+|manager\s+|a\s+human['’]?s?\s+|human\s+|csm\s+)?(?:approval|sign-?off|review)"
          rf"(?:\s+(?:for|on|when|if)\s+(?:accounts\s+|customers\s+)?(?:(?:with|whose)\s+)?(?:mrr\s+)?(?:is\s+)?(?:{_ABOVE})\s+{_money('')}(?:\s+(?:in\s+)?{_MRR_WORDS})?)?",
          r"let\s+me\s+(?:approve|review)(?:\s+(?:each|every|the)\s+drafts?)?(?:\s+(?:first|before\s+(?:sending|it\s+goes\s+out)))?",
          r"for\s+my\s+(?:approval|review)", r"approval\s+(?:is\s+)?required",
          r"(?:only\s+)?(?:after|once)\s+(?:i|a\s+human|someone|my\s+manager)\s+approves?"),
    _rule("renewal",
          rf"(?:(?:renewal(?:\s+date)?|contract|subscription)s?\s+(?:(?:is|are|falls|comes\s+up|is\s+due|due|ends|expires|renews)\s+)?"
          rf"|renew(?:s|ing)?\s+|up\s+for\s+renewal\s+|due\s+(?:for|to)\s+renew(?:al)?\s+)(?:within|in)\s+(?:the\s+next\s+)?{_num('n')}\s*(?P<unit>{_UNIT})"),
    _rule("cancel_request",
          r"(?:ask|asks|asked|request|requests|requested|want|wants|tries|tried|try)\s+to\s+cancel",
          r"(?:submit|submits|submitted|fill|fills|filled\s+(?:in|out))\s+(?:in\s+|out\s+)?the\s+cancel(?:lation)?\s+form",
          r"cancel(?:lation)?\s+(?:request|requests|form)"),
    _rule("failed_payment",
          r"(?:failed|declined|bounced|unsuccessful)\s+(?:card\s+|credit\s+card\s+|invoice\s+|subscription\s+)?(?:payments?|charges?|invoices?)",
          r"(?:card\s+|credit\s+card\s+|latest\s+|last\s+)?payments?\s+(?:has\s+|have\s+|had\s+|was\s+|were\s+|got\s+)?(?:failed|fails|failing|bounced|declined)",
          r"payment\s+failures?", r"(?:card|credit\s+card)s?\s+(?:was\s+|were\s+|got\s+|is\s+)?declined"),
    _rule("churned",
          r"churned|cancel(?:l)?ed(?:\s+(?:their|the)\s+(?:subscription|plan|account))?|left\s+us|stopped\s+paying",
          r"(?:former|lost|churned|ex-?)\s+customers?"),
    _rule("handoff_step",
          rf"hand\s*(?:it\s+|them\s+)?(?:off|over)(?:\s+to\s+{_WHO})?(?:\s+{_SILENCE})?\s+(?:after|in)\s+(?:another\s+)?{_num('n')}\s*(?P<unit>{_UNIT})(?:\s+{_SILENCE})?"),
    _rule("lost_action",
          rf"(?P<act>hand\s*(?:it\s+|them\s+)?(?:off|over)(?:\s+to\s+{_WHO})?|notify\s+{_WHO}|tell\s+{_WHO}|stop|just\s+stop)\s+(?:on|for|after|if|when|upon)\s+(?:any\s+|a\s+)?(?:negative|bad)\s+{_REPLY}",
          rf"(?:on|for|after|if|when|upon)\s+(?:any\s+|a\s+)?(?:negative|bad)\s+{_REPLY}\s*,?\s*(?:then\s+)?(?P<act2>hand\s*(?:it\s+|them\s+)?(?:off|over)(?:\s+to\s+{_WHO})?|notify\s+{_WHO}|tell\s+{_WHO}|stop)"),
    _rule("book_call",
          rf"book\s+(?:a\s+)?(?:call|meeting)(?:\s+(?:on|for|after|if|when|upon)\s+(?:any\s+|a\s+)?(?:positive|good|interested|yes)\s+{_REPLY})?",
          rf"(?:on|for|after|if|when|upon)\s+(?:any\s+|a\s+)?(?:positive|interested)\s+{_REPLY}\s*,?\s*(?:then\s+)?book\s+(?:a\s+)?(?:call|meeting)",
          r"(?:if|when)\s+they\s+(?:say\s+yes|reply\s+positively|are\s+interested)\s*,?\s*(?:then\s+)?book\s+(?:a\s+)?(?:call|meeting)"),
    _rule("follow_up",
          rf"follow\s*-?\s*up(?:\s+once)?(?:\s+{_SILENCE})?\s+(?:after|in)\s+{_num('n')}\s*(?P<unit>{_UNIT})(?:\s+{_SILENCE})?"),
    _rule("single_touch",
          r"(?:no|without\s+(?:a|any))\s+follow\s*-?\s*ups?", r"(?:don['’]t|do\s+not)\s+follow\s*-?\s*up",
          r"(?:just|only)\s+one\s+(?:email|message|touch|note)", r"a\s+single\s+(?:email|message|touch|note)"),
    _rule("no_offer", r"(?:make\s+)?no\s+offers?", r"(?:don['’]t|do\s+not)\s+offer\s+anything", r"without\s+(?:any\s+)?offers?"),
    _rule("offer_discount",
          r"(?:(?:up\s+to|at\s+most|max(?:imum)?\s+(?:of\s+)?)\s*)?(?P<pct>\d+(?:\.\d+)?)\s*(?:%|percent)\s+(?:off|discount)",
          r"(?:a\s+)?discount\s+(?:of\s+)?(?:up\s+to\s+|at\s+most\s+)?(?P<pct2>\d+(?:\.\d+)?)\s*(?:%|percent)(?:\s+off)?"),
    _rule("offer_free_month", rf"(?:a\s+|(?P<n>{_NUM})\s+)?free\s+months?"),
    _rule("offer_training", r"(?:a\s+)?(?:free\s+)?training(?:\s+session)?"),
    _rule("offer_pause", r"(?:a\s+)?(?:subscription\s+)?pause", r"pausing\s+(?:the|their)\s+subscription"),
    _rule("offer_downgrade", r"(?:a\s+)?(?:plan\s+)?downgrade", r"a\s+cheaper\s+plan"),
    _rule("offer_trial", r"(?:an\s+)?extended\s+trial", r"(?:a\s+)?trial\s+extension"),
    _rule("mrr",
          rf"(?:mrr|monthly\s+recurring\s+revenue|monthly\s+revenue|paying|pay|pays|worth)\s+(?:of\s+|is\s+)?(?P<cmp>{_ABOVE}|{_BELOW})\s*{_money('')}(?:\s+(?:in\s+)?{_MRR_WORDS})?",
          rf"(?P<cmp2>{_ABOVE}|{_BELOW})\s+{_money('2')}\s+(?:in\s+|of\s+)?{_MRR_WORDS}"),
    _rule("reference_usage",
          r"(?:referenc(?:e|ing)|mention(?:ing)?|nam(?:e|ing)|cit(?:e|ing)|about)\s+(?:what\s+they\s+(?:were\s+)?(?:using|used|did)(?:\s+before)?"
          r"|their\s+(?:previous|past|prior|earlier|old)\s+(?:usage|activity|use)|(?:their\s+)?(?:usage|activity)\s+before(?:\s+the\s+drop)?"
          r"|the\s+features\s+they\s+used(?:\s+before)?|their\s+history(?:\s+with\s+us)?)"),
    _rule("min_before",
          rf"(?:with\s+|having\s+)?at\s+least\s+{_num('n')}\s+(?:events|logins|uses|actions)\s+(?:before|beforehand|in\s+the\s+(?:earlier|previous|prior)\s+window)"),
    _rule("drop",
          rf"(?:dropped|drops|fell|falls|declined|declines|decreased|decreases|went\s+down|has\s+gone\s+down|have\s+gone\s+down|is\s+down|are\s+down|was\s+down|were\s+down|down)\s+(?:by\s+)?(?:more\s+than\s+|at\s+least\s+|over\s+)?{_pct('pct')}(?:\s+or\s+more)?",
          rf"(?:a\s+)?(?:drop|decline|fall|decrease|reduction)\s+of\s+(?:more\s+than\s+|at\s+least\s+)?{_pct('pct2')}",
          rf"(?:a\s+)?{_pct('pct3')}(?:\s+or\s+more)?\s+(?:drop|decline|fall|decrease|reduction)"),
    _rule("window",
          rf"(?:in|over|during|within|across|for)\s+(?:the\s+)?(?:last|past|previous|prior)\s+(?:{_num('n')}\s*)?(?P<unit>{_UNIT})",
          rf"(?:within|over|in)\s+{_num('n2')}\s*(?P<unit2>{_UNIT})",
          r"(?P<over>month|week)[\s-]+over[\s-]+(?:month|week)"),
    _rule("quantity", r"(?:measured\s+)?(?:by|in)\s+(?P<metric>quantity|event\s+count|events\s+count)"),
    _rule("event_types", rf"(?:the\s+)?(?:number\s+of\s+)?(?P<types>{_EVT_LIST})(?:\s+(?:activity|usage|events?|count|sessions))?"),
    _rule("usage", r"(?:product\s+|overall\s+|total\s+|app\s+)?(?:activity|usage|use|engagement|events)"),
    _rule("plans", r"on\s+(?:the\s+)?(?P<plans>[\w-]+(?:\s+(?:or|and)\s+[\w-]+)*)\s+plans?"),
    _rule("draft", rf"(?:draft|write|compose|prepare)(?:\s+(?:it|them|{_NOUN}))?"),
    _rule("send", rf"send(?:\s+(?:it|them|the\s+(?:drafts?|emails?|messages?|notes?)|{_NOUN}))?(?:\s+(?:out|automatically))?"),
    _rule("from_agent", r"from\s+(?:my|the|our)\s+agent(?:['’]s)?(?:\s+(?:address|identity|mailbox|email(?:\s+address)?))?"),
    _rule("anytime", r"immediately|right\s+away|(?:at\s+)?any\s*time(?:\s+of\s+(?:the\s+)?day)?|day\s+or\s+night"),
    _rule("offer_verb", r"offer(?:ing)?(?:\s+them)?"),
)


@dataclass(frozen=True)
class Clause:
    """One phrase the grammar read: the rule, where it sits, and the values it captured."""

    rule: str
    start: int
    end: int
    text: str
    values: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "span": [self.start, self.end], "text": self.text}


@dataclass(frozen=True)
class Problem:
    """Something the compiler did not understand or cannot express, with the words it is about."""

    start: int
    end: int
    text: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"span": [self.start, self.end], "text": self.text, "message": self.message}


def read(text: str) -> tuple[list[Clause], list[Problem]]:
    """Return the clauses found in ``text`` in reading order, and the words no rule read."""
    masked = text
    clauses: list[Clause] = []
    for rule in RULES:
        for match in rule.pattern.finditer(masked):
            start, end = match.span()
            values = {key: value for key, value in match.groupdict().items() if value is not None}
            clauses.append(Clause(rule.name, start, end, text[start:end], values))
            masked = masked[:start] + _MASK * (end - start) + masked[end:]
    clauses.sort(key=lambda clause: clause.start)
    return clauses, [problem for problem in leftovers(text, masked) if not _joins_offers(problem, clauses)]


def _joins_offers(problem: Problem, clauses: list[Clause]) -> bool:
    """Let "or" stand between two offers ("a pause or a plan downgrade"): either may be made."""
    if problem.text.lower() != "or":
        return False
    before = [clause for clause in clauses if clause.end <= problem.start]
    after = [clause for clause in clauses if clause.start >= problem.end]
    return bool(before and after) and before[-1].rule.startswith("offer_") and after[0].rule.startswith("offer_")


_TOKEN = re.compile(r"[^\s\x00,;.:!?()]+")


def leftovers(text: str, masked: str) -> list[Problem]:
    """Group the unread, non-filler words of ``masked`` into spans separated by read text."""
    problems: list[Problem] = []
    run: list[tuple[int, int]] = []
    for token in _TOKEN.finditer(masked):
        word = token.group().strip("\"'`’").lower()
        if word in FILLER or not word:
            continue
        if run and _MASK not in masked[run[-1][1]:token.start()]:
            run.append(token.span())
            continue
        if run:
            problems.append(_not_understood(text, run))
        run = [token.span()]
    if run:
        problems.append(_not_understood(text, run))
    return problems


def _not_understood(text: str, run: list[tuple[int, int]]) -> Problem:
    start, end = run[0][0], run[-1][1]
    return Problem(start, end, text[start:end], "not understood; see docs/plays-language.md for the phrases the compiler knows")


def number(value: str) -> float:
    """Read a captured number: digits or a number word."""
    word = value.strip().lower()
    if word in WORD_NUMBERS:
        return float(WORD_NUMBERS[word])
    return float(word.replace(",", ""))


def days(amount: str | None, unit: str) -> int:
    """Turn "30 days", "two weeks" or "the last month" into a day count."""
    per = UNIT_DAYS[unit.lower().rstrip("s")]
    return int(round((number(amount) if amount else 1) * per))


def event_types(phrase: str) -> tuple[str, ...]:
    """Map the event words of a phrase to event type names, in the order written."""
    found: list[str] = []
    for part in re.split(r"\s*(?:,|/|\bor\b|\band\b)\s*", phrase, flags=re.IGNORECASE):
        name = _event_name(part.strip())
        if name and name not in found:
            found.append(name)
    return tuple(found)


def _event_name(word: str) -> str | None:
    if word[:1] in "\"'`":
        return word.strip("\"'`")
    for name, alias in EVENT_ALIASES.items():
        if re.fullmatch(alias, word, re.IGNORECASE):
            return name
    return None
