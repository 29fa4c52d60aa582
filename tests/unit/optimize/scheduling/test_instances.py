"""Parsers of the JSSP and FJSP benchmark formats, on real files read in place."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from plantloop.optimize.scheduling.instances import load_instance, parse_fjsp, parse_jssp
from plantloop.optimize.scheduling.problem import Option, SchedulingInputError


def test_jssp_ft06_is_parsed_by_tokens_with_zero_based_machines(bench_dir: Path) -> None:
    p = load_instance(bench_dir / "jssp/ft06.txt", "jssp")
    assert (len(p.jobs), p.n_machines, p.n_ops, p.machine_base) == (6, 6, 36, 0)
    assert p.jobs[0].operations[0].options == (Option(machine=2, duration=1),)
    assert p.jobs[1].operations[1].options == (Option(machine=2, duration=5),)


def test_fjsp_mk01_shifts_one_based_machines_and_keeps_alternatives(bench_dir: Path) -> None:
    p = load_instance(bench_dir / "fjsp/brandimarte/mk01.txt", "fjsp")
    assert (len(p.jobs), p.n_machines, p.n_ops, p.machine_base) == (10, 6, 55, 1)
    assert p.jobs[0].operations[0].options == (Option(0, 5), Option(2, 4))
    assert p.jobs[0].operations[1].options == (Option(4, 3), Option(2, 5), Option(1, 1))


def test_hurink_sdata_la01_is_the_same_instance_as_jssp_la01(bench_dir: Path) -> None:
    a = load_instance(bench_dir / "jssp/la01.txt", "jssp")
    b = load_instance(bench_dir / "fjsp/hurink/sdata/la01.txt", "fjsp")
    assert [[op.options for op in j.operations] for j in a.jobs] == [
        [op.options for op in j.operations] for j in b.jobs
    ]


@pytest.mark.parametrize(
    "name",
    ["la01", "ta01", "orb07", "mk06", "mk10", "la01_edata", "abz5_rdata", "kacem1", "behnke1", "dpp01a"],
)
def test_parsed_sizes_match_bks_csv(bench_dir: Path, name: str) -> None:
    rows = {r["instance"]: r for r in csv.DictReader((bench_dir / "bks.csv").open())}
    row = rows[name]
    p = load_instance(bench_dir / row["file"], "jssp" if row["problem"] == "JSSP" else "fjsp")
    assert (len(p.jobs), p.n_ops) == (int(row["n_jobs"]), int(row["n_ops"]))


def test_fjsp_header_float_and_tabs_are_accepted() -> None:
    p = parse_fjsp("2\t3\t1.5\n1  2 1 4 3 5 \n2 1 2 7 1 3 1\n")
    assert p.jobs[0].operations[0].options == (Option(0, 4), Option(2, 5))
    assert p.jobs[1].operations[1].options == (Option(2, 1),)


def test_truncated_files_are_rejected_with_an_input_error() -> None:
    with pytest.raises(SchedulingInputError):
        parse_jssp("2 2\n0 3 1 2\n")
    with pytest.raises(SchedulingInputError):
        parse_fjsp("1 2 1\n2 1 1 3\n")


def test_a_binary_file_is_an_input_error_not_a_decoding_traceback(tmp_path: Path) -> None:
    path = tmp_path / "upload.txt"
    path.write_bytes(b"\x9d\xff\x00 2 2\n")
    with pytest.raises(SchedulingInputError, match="not a text instance file"):
        load_instance(path, "jssp")
