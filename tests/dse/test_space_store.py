"""Design points (grid order, seeded sampling, stable ids), Pareto ranking, and the crash-safe store."""

import json

import pytest

from gemmini_gen.dse import (Axis, ResultsStore, StoreError, grid_points, pareto_front,
                             pareto_ranks, random_points, top_k)

AXES = (Axis("dim", (4, 8, 16)), Axis("dataflow", ("OS", "WS")))


def test_grid_order_and_ids():
    points = grid_points(AXES)
    assert [p.as_dict() for p in points[:3]] == [{"dim": 4, "dataflow": "OS"},
                                                 {"dim": 4, "dataflow": "WS"},
                                                 {"dim": 8, "dataflow": "OS"}]
    assert [p.index for p in points] == list(range(6))
    assert len({p.id for p in points}) == 6
    # The id depends on the assignment only, not on the order of the axes.
    swapped = grid_points((AXES[1], AXES[0]))
    assert {p.id for p in swapped} == {p.id for p in points}


def test_random_points_are_seeded_and_distinct():
    a = random_points(AXES, 4, seed=1)
    assert [p.id for p in a] == [p.id for p in random_points(AXES, 4, seed=1)]
    assert len({p.id for p in a}) == 4
    assert [p.index for p in a] == [0, 1, 2, 3]
    assert {p.id for p in random_points(AXES, 10, seed=1)} == {p.id for p in grid_points(AXES)}
    big = (Axis("a", tuple(range(1000))), Axis("b", tuple(range(1000))))
    sample = random_points(big, 50, seed=0)     # a 10^6 grid is sampled, not enumerated
    assert len({p.id for p in sample}) == 50


def test_pareto_by_hand():
    # (cycles, area): a, b and c trade off (the front); b dominates d, and d dominates e.
    values = [[10, 5], [6, 6], [4, 9], [7, 7], [11, 9]]
    assert pareto_front(values, ["min", "min"]) == [0, 1, 2]
    assert pareto_ranks(values, ["min", "min"]) == [0, 0, 0, 1, 2]
    # Maximizing the second objective flips the picture.
    assert pareto_front(values, ["min", "max"]) == [2]
    assert top_k(values, ["min", "min"], 2) == [2, 1]        # rank 0, lowest cycles first
    assert top_k(values, ["min", "min"], 4) == [2, 1, 0, 3]
    assert top_k([], ["min"], 3) == []


def test_store_drops_a_torn_last_line(tmp_path):
    path = tmp_path / "r.jsonl"
    store = ResultsStore(path)
    store.create({"key": {"k": 1}})
    store.append({"type": "point", "stage": "analytic", "id": "p1", "status": "ok"})
    store.close()
    with path.open("a") as f:
        f.write('{"type": "point", "stage": "analy')        # killed mid-write
    reopened = ResultsStore(path)
    reopened.open()
    assert reopened.header["key"] == {"k": 1}
    assert reopened.finished("analytic") == {"p1"}
    reopened.append({"type": "point", "stage": "analytic", "id": "p2", "status": "failed"})
    reopened.close()
    lines = path.read_text().splitlines()
    assert [json.loads(line).get("id") for line in lines] == [None, "p1", "p2"]


def test_store_rejects_corruption(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text('{"type": "header"}\nnot json\n{"type": "point", "id": "p"}\n')
    with pytest.raises(StoreError, match=r"r.jsonl:2: corrupt record"):
        ResultsStore(path).open()
    path.write_text('{"type": "point", "id": "p"}\n')
    with pytest.raises(StoreError, match="not a gemmini-dse results file"):
        ResultsStore(path).open()
