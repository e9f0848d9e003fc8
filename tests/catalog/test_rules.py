import pytest
from hypothesis import given
from hypothesis import strategies as st

from setu.catalog import rules


@pytest.mark.parametrize("raw,expected", [(" ab 12-3 ", "AB12-3"), ("mig29/77.1", "MIG29/77.1"), ("X", "X")])
def test_part_number_normalised(raw, expected):
    assert rules.normalise_part_number(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "AB#1", "a" * 33, "-AB"])
def test_bad_part_numbers_refused(raw):
    with pytest.raises(ValueError):
        rules.normalise_part_number(raw)


@given(st.text(alphabet="abcXYZ0123-./ ", min_size=1, max_size=20))
def test_normalisation_is_idempotent(raw):
    try:
        once = rules.normalise_part_number(raw)
    except ValueError:
        return
    assert rules.normalise_part_number(once) == once


def test_nsn_valid_and_formatted():
    assert rules.validate_nsn("5905-00-734-5199") == "5905-00-734-5199"
    assert rules.validate_nsn("5905007345199") == "5905-00-734-5199"
    assert rules.validate_nsn("1560-72-123-4567") == "1560-72-123-4567"  # India's bureau
    assert rules.validate_nsn("") is None and rules.validate_nsn(None) is None


@pytest.mark.parametrize("raw,fragment", [
    ("5905-00-734-519", "NNNN-NN-NNN-NNNN"),
    ("59A5-00-734-5199", "NNNN-NN-NNN-NNNN"),
    ("5905-55-734-5199", "55 is not a known NATO codification bureau"),
    ("0005-00-734-5199", "no supply group"),
])
def test_nsn_refused_with_reason(raw, fragment):
    with pytest.raises(ValueError, match=fragment):
        rules.validate_nsn(raw)


def test_ncb_list_has_both_partners_bureaux():
    codes = rules.ncb_codes()
    assert codes["72"] == "India" and "00" in codes and "99" in codes


def test_bom_cycle_detection():
    edges = [("A", "B"), ("B", "C")]
    assert rules.bom_cycle(edges, ("C", "A"))
    assert rules.bom_cycle(edges, ("A", "A"))
    assert not rules.bom_cycle(edges, ("A", "C"))
    assert not rules.bom_cycle(edges, ("D", "A"))


def test_supersession_chain_rolls_demand_to_newest():
    demand, stock = rules.resolve_families([("A", "B", "one_way"), ("B", "C", "two_way")])
    assert demand == {"A": "C", "B": "C"}
    # one-way old stock cannot fill the successor's demand; two-way pools
    assert stock == {"B": "C"}


@pytest.mark.parametrize("code", ["not_interchangeable", "qualified"])
def test_codes_that_never_aggregate(code):
    assert rules.resolve_families([("A", "B", code)]) == ({}, {})


def test_re_identification_and_sets_pool_everything():
    demand, stock = rules.resolve_families([("A", "B", "re_identified"), ("S1", "S2", "as_set")])
    assert demand == stock == {"A": "B", "S1": "S2"}


def test_cycle_resolves_to_smallest_member():
    demand, _ = rules.resolve_families([("B", "A", "two_way"), ("A", "B", "two_way")])
    assert demand == {"A": "A", "B": "A"}
