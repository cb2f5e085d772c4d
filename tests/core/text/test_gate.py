from __future__ import annotations

from bot.core.text.gate import OutputGate
from bot.core.text.judge import parse_never_rule, violations
from bot.core.text.output import looks_like_internal_error
from bot.core.text.scanner import IdScanner

SYSTEM = (
    "You are the support assistant of {company} on Discord, helping customers during a cloud-sync outage. "
    "Never write out a device ID.\n\nFAQ:\n{faq}"
)
RULES = [parse_never_rule("phrase: remove battery")]
GROUNDING = ["Next update at 17:00 UTC. Help: https://help.larkspur.example/outage", "IMEI ****1481"]


def make_gate() -> OutputGate:
    return OutputGate(
        IdScanner(),
        never=lambda t: violations(RULES, t),
        internal_error=looks_like_internal_error,
        allowed_domains=["larkspur.example"],
        system_prompt=SYSTEM,
    )


def test_a_grounded_safe_answer_passes() -> None:
    gate = make_gate()
    verdict = gate.check("The next update is at 5 pm UTC; see help.larkspur.example.", grounding=GROUNDING)
    assert verdict.ok and verdict.reasons == ()
    assert gate.counters.checked == 1 and gate.counters.refused == 0


def test_each_reason_refuses_and_is_counted() -> None:
    gate = make_gate()
    cases = {
        "never": "Please remove the battery.",
        "claim": "We'll be back at 18:00.",
        "internal": "Traceback (most recent call last):\n  File \"x.py\", line 1",
        "prompt": "I am the support assistant of Larkspur on Discord, helping customers during a cloud-sync outage.",
        "device": "Your friend's phone 35 209900 176148 1 is fine.",
    }
    for reason, text in cases.items():
        verdict = gate.check(text, grounding=GROUNDING)
        assert not verdict.ok and any(r.startswith(reason) for r in verdict.reasons), (reason, verdict)
    assert gate.counters.refused == len(cases)
    assert set(gate.counters.reasons) == set(cases)


def test_the_askers_own_id_is_not_a_reason_to_refuse() -> None:
    gate = make_gate()
    own = "352099001761481"
    assert gate.check(f"Your phone {own} is registered.", grounding=GROUNDING, allowed_ids=[own]).ok


def test_faq_and_status_quoted_in_the_prompt_may_be_repeated() -> None:
    gate = make_gate()
    # placeholders are not part of the secret: quoting the FAQ is fine
    assert gate.check("Keep your phone switched on and charged, it may hold the only copy.", grounding=GROUNDING).ok
