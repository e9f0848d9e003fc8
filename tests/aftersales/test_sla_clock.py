"""The SLA clock is a pure function of a ticket's history and a frozen 'now': pauses, resumes,
priority changes (retroactive), working-hours calendars across a weekend and a holiday, escalation
at 50 / 75 / 100 % and the sticky breach; Hypothesis: the clock never runs backwards and paused
time never counts."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

from setu.aftersales.rules import Calendar, Event, SlaPolicy, choose_policy, default_priority, sla_clock

UTC = timezone.utc
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)           # a Monday, 09:00 UTC
H = timedelta(hours=1)

WORKDAYS = Calendar("depot", tz="UTC", hours={d: (time(9), time(17)) for d in range(5)},
                    holidays=frozenset({date(2026, 3, 9)}))      # the Monday after is a holiday
POLICIES = [
    SlaPolicy("critical 24x7", rank=10, priorities=frozenset({"critical"}),
              targets={"acknowledge": 2, "respond": 8, "restore": 48}),
    SlaPolicy("urgent", rank=20, priorities=frozenset({"urgent"}),
              targets={"acknowledge": 8, "respond": 24, "restore": 120}),
    SlaPolicy("routine, working hours", rank=30, targets={"acknowledge": 8, "respond": 16, "restore": 80},
              calendar=WORKDAYS),
]


def created(priority="critical", at=T0, type_="spares"):
    return Event(at, "created", {"type": type_, "priority": priority})


def state(at, s, reason=None):
    return Event(at, "state", {"state": s, **({"reason": reason} if reason else {})})


def test_the_clock_runs_from_creation_and_escalates_at_each_threshold():
    ev = [created()]
    ack = lambda now: sla_clock(ev, POLICIES, now)["acknowledge"]   # noqa: E731
    assert ack(T0 + 0.9 * H).levels == () and ack(T0 + 0.9 * H).stage == "in_progress"
    assert ack(T0 + 1 * H).levels == (50,) and not ack(T0 + 1 * H).breached
    assert ack(T0 + 1.5 * H).levels == (50, 75)
    assert ack(T0 + 2 * H).levels == (50, 75, 100) and ack(T0 + 2 * H).breached
    c = ack(T0 + 0.5 * H)
    assert c.policy == "critical 24x7" and c.target_hours == 2 and c.percent == 25.0
    assert c.due_at == T0 + 2 * H and c.next_escalation_at == T0 + 1 * H


def test_a_stop_freezes_the_clock_and_a_breach_stays_a_breach():
    ev = [created(), state(T0 + 3 * H, "acknowledged")]
    later = sla_clock(ev, POLICIES, T0 + 100 * H)
    assert later["acknowledge"].stage == "completed" and later["acknowledge"].elapsed_hours == 3
    assert later["acknowledge"].breached                           # acknowledged late: breached for good
    on_time = sla_clock([created(), state(T0 + 1.5 * H, "acknowledged")], POLICIES, T0 + 100 * H)
    assert not on_time["acknowledge"].breached and on_time["acknowledge"].levels == (50, 75)
    assert on_time["acknowledge"].due_at is None


def test_a_pause_for_a_listed_reason_stops_the_count_and_a_resume_restarts_it():
    ev = [created(), state(T0 + 0.5 * H, "acknowledged"),
          state(T0 + 2 * H, "on_hold", "awaiting_export_licence"), state(T0 + 30 * H, "in_work")]
    at_pause_end = sla_clock(ev, POLICIES, T0 + 30 * H)["restore"]
    assert at_pause_end.elapsed_hours == 2                         # 28 paused hours do not count
    paused = sla_clock(ev, POLICIES, T0 + 10 * H)["restore"]
    assert paused.stage == "paused" and paused.due_at is None and paused.elapsed_hours == 2
    assert sla_clock(ev, POLICIES, T0 + 40 * H)["restore"].elapsed_hours == 12


def test_awaiting_payment_never_pauses_the_clock():
    ev = [created(), state(T0 + 0.5 * H, "acknowledged"), state(T0 + 2 * H, "on_hold", "awaiting_payment")]
    c = sla_clock(ev, POLICIES, T0 + 50 * H)["restore"]
    assert c.stage == "in_progress" and c.elapsed_hours == 50 and c.breached


def test_a_priority_change_re_evaluates_the_targets_from_the_start():
    ev = [created("urgent"), Event(T0 + 5 * H, "priority", {"priority": "critical"})]
    before = sla_clock(ev, POLICIES, T0 + 4 * H)["acknowledge"]
    assert before.policy == "urgent" and before.target_hours == 8 and not before.breached
    after = sla_clock(ev, POLICIES, T0 + 5 * H)["acknowledge"]
    # the 5 hours already run count against the critical target (2 h): breached at once
    assert after.policy == "critical 24x7" and after.elapsed_hours == 5 and after.breached
    # lowering the priority later does not undo the breach
    ev2 = ev + [Event(T0 + 6 * H, "priority", {"priority": "urgent"})]
    assert sla_clock(ev2, POLICIES, T0 + 6.5 * H)["acknowledge"].breached


def test_working_hours_across_a_weekend_and_a_holiday():
    friday_4pm = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)
    ev = [created("routine", at=friday_4pm)]
    # Friday 16-17 is 1 h; Sat, Sun off; Monday 9 March is a holiday; Tuesday 9-16 is 7 h: 8 h at Tue 16:00
    c = sla_clock(ev, POLICIES, friday_4pm + timedelta(hours=2))["acknowledge"]
    assert c.policy == "routine, working hours" and c.elapsed_hours == 1
    assert c.due_at == datetime(2026, 3, 10, 16, 0, tzinfo=UTC)
    assert sla_clock(ev, POLICIES, datetime(2026, 3, 9, 23, 0, tzinfo=UTC))["acknowledge"].elapsed_hours == 1
    tue = sla_clock(ev, POLICIES, datetime(2026, 3, 10, 12, 0, tzinfo=UTC))["acknowledge"]
    assert tue.elapsed_hours == 4 and tue.levels == (50,)
    assert sla_clock(ev, POLICIES, datetime(2026, 3, 10, 16, 0, tzinfo=UTC))["acknowledge"].breached


def test_a_calendar_in_a_local_time_zone():
    ist = Calendar("ist", tz="Asia/Kolkata", hours={d: (time(9), time(17)) for d in range(5)})
    a = datetime(2026, 3, 2, 3, 30, tzinfo=UTC)          # Monday 09:00 IST
    assert ist.working_seconds(a, a + 24 * H) == 8 * 3600
    assert ist.add_working(a, 9 * 3600) == datetime(2026, 3, 3, 4, 30, tzinfo=UTC)


def test_the_policy_of_lowest_rank_wins_and_a_history_must_start_with_creation():
    broad = SlaPolicy("any", rank=99, targets={"acknowledge": 1})
    assert choose_policy([broad, *POLICIES], "spares", "critical").name == "critical 24x7"
    assert choose_policy([broad], "spares", "routine").name == "any"
    assert choose_policy([], "spares", "routine") is None
    with pytest.raises(ValueError, match="starts with its 'created' event"):
        sla_clock([state(T0, "acknowledged")], POLICIES, T0)


def test_default_priority_from_unit_status_and_essentiality():
    assert default_priority("down", 1) == "critical"
    assert default_priority("down", 3) == "urgent"
    assert default_priority("serviceable", 1) == "urgent"
    assert default_priority("serviceable", 2) == "routine"


# -- properties ------------------------------------------------------------------------------------

STATES = st.sampled_from(["acknowledged", "in_work", "on_hold", "resolved", "quoted"])
REASONS = st.sampled_from(["awaiting_customer_information", "awaiting_export_licence", "awaiting_payment",
                           "awaiting_parts"])


@st.composite
def histories(draw):
    ev = [created(draw(st.sampled_from(["critical", "urgent", "routine"])))]
    t = T0
    for _ in range(draw(st.integers(0, 8))):
        t = t + timedelta(minutes=draw(st.integers(1, 3000)))
        if draw(st.booleans()):
            ev.append(Event(t, "priority", {"priority": draw(st.sampled_from(["critical", "urgent", "routine"]))}))
        else:
            s = draw(STATES)
            ev.append(state(t, s, draw(REASONS) if s == "on_hold" else None))
    return ev


@settings(max_examples=150, deadline=None)
@given(histories(), st.integers(0, 20000), st.integers(0, 20000))
def test_the_clock_never_runs_backwards(ev, m1, m2):
    a, b = sorted((m1, m2))
    ca = sla_clock(ev, POLICIES, T0 + timedelta(minutes=a))
    cb = sla_clock(ev, POLICIES, T0 + timedelta(minutes=b))
    for k in ca:
        if ca[k].policy == cb[k].policy:          # same calendar: elapsed working time only grows
            assert cb[k].elapsed_hours >= ca[k].elapsed_hours - 1e-9
        assert set(ca[k].levels) <= set(cb[k].levels)
        assert cb[k].breached or not ca[k].breached


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2000), st.integers(1, 2000), st.integers(0, 2000),
       st.sampled_from(["awaiting_customer_information", "awaiting_customer_access", "awaiting_export_licence"]))
def test_paused_time_never_counts(before, paused, after, reason):
    p = [SlaPolicy("routine, working hours", rank=1, targets={"restore": 80}, calendar=WORKDAYS)]
    hold = T0 + timedelta(minutes=before)
    back = hold + timedelta(minutes=paused)
    now = back + timedelta(minutes=after)
    ev = [created("routine"), state(hold, "on_hold", reason), state(back, "in_work")]
    with_pause = sla_clock(ev, p, now)["restore"].elapsed_hours
    without = sla_clock([created("routine")], p, now)["restore"].elapsed_hours
    assert with_pause == pytest.approx(without - WORKDAYS.working_seconds(hold, back) / 3600, abs=1e-6)


def test_supplier_metrics_count_breaches_and_mean_times():
    from setu.aftersales.rules import TicketOutcome, supplier_metrics

    late = [created(), state(T0 + 3 * H, "acknowledged"), state(T0 + 10 * H, "resolved")]
    prompt = [created(), state(T0 + 1 * H, "acknowledged"), state(T0 + 4 * H, "in_work"),
              state(T0 + 20 * H, "resolved")]
    now = T0 + 100 * H
    m = supplier_metrics([TicketOutcome("OEM-1", sla_clock(late, POLICIES, now)),
                          TicketOutcome("OEM-1", sla_clock(prompt, POLICIES, now), no_fault_found=True),
                          TicketOutcome("JV-1", sla_clock(prompt, POLICIES, now))])
    # late: acknowledge breached (3 h > 2 h), respond 10 h > 8 h breached, restore 10 h ok; prompt: all ok
    assert m["OEM-1"]["tickets"] == 2 and m["OEM-1"]["breaches"] == 2
    assert m["OEM-1"]["compliance"] == round(4 / 6, 4)
    assert m["OEM-1"]["mean_acknowledge_hours"] == 2 and m["OEM-1"]["mean_restore_hours"] == 15
    assert m["OEM-1"]["no_fault_found_rate"] == 0.5
    assert m["JV-1"]["compliance"] == 1.0 and m["JV-1"]["mean_restore_hours"] == 20
