"""Bill-of-material derivations shared by catalog, forecasting, readiness and the demo."""
import numpy as np

from setu.engine.bom import bom_levels, quantity_per_equipment


def test_levels_follow_the_lowest_parent_line():
    e = np.array([0, 0, 0, 0, 1])
    p = np.array([-1, 0, 1, 0, -1])
    c = np.array([0, 1, 2, 2, 2])
    np.testing.assert_array_equal(bom_levels(e, p, c), [1, 2, 3, 2, 1])


def test_orphan_line_has_level_zero():
    np.testing.assert_array_equal(bom_levels(np.array([0, 0]), np.array([-1, 5]), np.array([1, 2])), [1, 0])


def test_quantity_per_equipment_sums_the_paths():
    # part 2 sits in part 1 (3 per) and directly in part 0 (5 per); part 0 twice per equipment
    e, qp, q = quantity_per_equipment(np.array([0, 0, 0, 0]), np.array([-1, 0, 1, 0]), np.array([0, 1, 2, 2]),
                                      np.array([2.0, 3.0, 4.0, 5.0]))
    got = {(int(a), int(b)): float(v) for a, b, v in zip(e, qp, q)}
    assert got == {(0, 0): 2.0, (0, 1): 6.0, (0, 2): 2 * 3 * 4 + 2 * 5}


def test_cycle_is_cut():
    e, qp, q = quantity_per_equipment(np.array([0, 0, 0]), np.array([-1, 0, 1]), np.array([0, 1, 0]),
                                      np.array([1.0, 1.0, 1.0]))
    assert len(q) == 2 and np.all(np.isfinite(q))
