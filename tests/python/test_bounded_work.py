"""Bounded work on hostile input, through the real `careflow validate`: inputs that once took
minutes or gigabytes are refused (or, if they are sound, checked) inside an address-space limit.

Each input is made here: zip-bombed workbooks of the two shapes the review found (a 343 KB file
inflating to about 350 MB of sheet XML, and a 1.5 MB one to about 1.5 GB), one whose header
understates its part, a workbook with one stray value at XFD1048576, and scenarios of 3,000 and
25,000 services (validation was cubic in the services; the second was taken for an alias bomb).
The limit is RLIMIT_AS in the child; a sanitizer build reserves terabytes of address space, so
there the same bound is ASan's own limit on the memory it maps (CAREFLOW_SANITIZED=1)."""
import os
import resource
import struct
import subprocess
import zipfile
import zlib

import pytest

from conftest import CAREFLOW, ROOT, needs_careflow

pytestmark = needs_careflow
SANITIZED = os.environ.get("CAREFLOW_SANITIZED") == "1"
MiB = 1 << 20


def validate_within(limit_mib, *args, cwd=None):
    """`careflow validate ARGS` unable to map more than limit_mib MiB."""
    env = dict(os.environ)
    preexec = None
    if SANITIZED:
        # ASan keeps up to 256 MiB of freed memory mapped (its quarantine, to catch use after
        # free): that is ASan's memory, not careflow's, so it is held to 8 MiB here.
        env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS", ""), f"mmap_limit_mb={limit_mib}",
                                                     "quarantine_size_mb=8"]))
    else:
        def preexec():
            resource.setrlimit(resource.RLIMIT_AS, (limit_mib * MiB, limit_mib * MiB))
    return subprocess.run([CAREFLOW, "validate", *map(str, args)], capture_output=True, text=True, env=env,
                          preexec_fn=preexec, cwd=cwd, timeout=300)


def refused(proc, *fragments):
    assert proc.returncode == 2, proc.stderr
    errors = [l for l in proc.stderr.splitlines() if l.startswith("careflow: error: ")]
    assert len(errors) == 1, proc.stderr
    for f in fragments:
        assert f in errors[0], errors[0]
    for crash in ("bad_alloc", "terminate", "Sanitizer", "mmap limit", "runtime error"):
        assert crash not in proc.stderr, proc.stderr


# ---- workbooks -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    """A real scenario workbook (careflow workbook of the Jackson example): its parts by name."""
    path = tmp_path_factory.mktemp("wb") / "jackson.xlsx"
    done = subprocess.run([CAREFLOW, "workbook", ROOT / "scenarios" / "examples" / "jackson.yaml", "--out", path],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def bomb_part(head, chunk, copies, tail):
    """Raw deflate of head + chunk * copies + tail, made without holding the whole: after a full
    flush the compressor starts afresh, so each further copy of the chunk is the same block of
    bytes (checked). Returns (data, crc32, inflated size)."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    assert c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH) == block
    data = start + block * copies + c.compress(tail) + c.flush(zlib.Z_FINISH)
    crc = zlib.crc32(head)
    for _ in range(copies):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    d = zlib.decompressobj(-15)
    assert d.decompress(data[:len(start) + 3 * len(block)]) == head + chunk * 3
    return data, crc, len(head) + len(chunk) * copies + len(tail)


def write_zip(path, parts):
    """A zip of (name, raw deflate data, crc, size given in its headers) -- the size may lie."""
    out, central = bytearray(), bytearray()
    for name, data, crc, size in parts:
        n = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(n), 0) + n + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(data), size, len(n),
                               0, 0, 0, 0, 0, offset) + n
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(parts), len(parts), len(central), len(out), 0)
    path.write_bytes(bytes(out + central + end))
    return path


def with_bombs(workbook, path, sheets, claimed=None):
    """The workbook with the sheets {part: MiB} replaced by that many MiB of cells (zip bombs of
    about 375:1), their headers giving the true size or `claimed`."""
    row = b"<row>" + b"<c><v>1</v></c>" * 100 + b"</row>"
    chunk = row * (MiB // len(row))
    head = b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    parts = []
    for name, content in workbook.items():
        if name in sheets:
            data, crc, size = bomb_part(head, chunk, sheets[name], b"</sheetData></worksheet>")
            parts.append((name, data, crc, size if claimed is None else claimed))
        else:
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            parts.append((name, c.compress(content) + c.flush(), zlib.crc32(content), len(content)))
    return write_zip(path, parts)


def sheet_parts(*numbers):
    return [f"xl/worksheets/sheet{k}.xml" for k in numbers]


@pytest.mark.parametrize("sheets, kib, message", [
    # 343 KB, one sheet of 113 MiB: once 2.1 GB.
    ({"xl/worksheets/sheet1.xml": 113}, 343, "the part 'xl/worksheets/sheet1.xml' inflates to 112.8 MiB"),
    # 1.5 MB, five sheets of 105 MiB (each under the old 256 MiB a part): once 7.3 GB.
    (dict.fromkeys(sheet_parts(1, 2, 3, 4, 5), 105), 1500, "the part 'xl/worksheets/sheet1.xml' inflates to 104.9 MiB"),
    # Five sheets each under the limit of a part, together past that of the archive.
    (dict.fromkeys(sheet_parts(1, 2, 3, 4, 5), 60), 850, "the workbook inflates to more than 256 MiB"),
], ids=["343KB", "1.5MB", "archive"])
def test_a_zip_bomb_is_refused_before_it_inflates(tmp_path, workbook, sheets, kib, message):
    path = with_bombs(workbook, tmp_path / "bomb.xlsx", sheets)
    assert abs(path.stat().st_size / 1024 - kib) < 0.05 * kib, path.stat().st_size
    refused(validate_within(256, path), "bomb.xlsx: ", message)


def test_a_header_that_understates_its_part_gains_nothing(tmp_path, workbook):
    path = with_bombs(workbook, tmp_path / "liar.xlsx", {"xl/worksheets/sheet1.xml": 113}, claimed=MiB)
    refused(validate_within(256, path), "liar.xlsx: ",
            "the part 'xl/worksheets/sheet1.xml' holds more than the 1048576 bytes its header gives")


def test_one_stray_value_at_xfd1048576_is_refused_at_once(tmp_path, workbook):
    """It once took 505 s: the sheet's readers visited all 17 billion cells of its used range."""
    parts = dict(workbook)
    name = "xl/worksheets/sheet6.xml"  # services
    assert b"<sheetData>" in parts[name]
    parts[name] = parts[name].replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')
    path = tmp_path / "stray.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, content in parts.items():
            z.writestr(n, content)
    refused(validate_within(256, path), "sheet 'services': the value in XFD1048576 makes the used range A1:XFD1048576",
            "careflow reads sheets of at most 4,194,304 (rows x columns)")


# ---- many services -------------------------------------------------------------------------

def services_scenario(n):
    """n services in a chain that also steps back: s_i routes to s_i+1, s_i+2 and s_i-1, so
    all n are one strongly connected tangle of routes; written out, without YAML aliases."""
    lines = ["careflow: 1", f'name: "{n} services"', "run: {horizon_years: 2, warmup_years: 0, replications: 1, seed: 1}",
             "agencies:", "  - {name: council, budget_per_year: 0}", "cohorts:",
             "  - {name: people, population: 100000, age: [0, 100], episodes_per_1000_per_year: 10, entry: s0,"
             " need_mix: {universal: 1}}", "services:"]
    for i in range(n):
        to = {}
        if i + 1 < n:
            to[f"s{i + 1}"] = 0.5
        if i + 2 < n:
            to[f"s{i + 2}"] = 0.2
        if i > 0:
            to[f"s{i - 1}"] = 0.1
        to["exit"] = round(1 - sum(to.values()), 10)
        targets = ", ".join(f"{k}: {v}" for k, v in to.items())
        lines.append(f"  - {{name: s{i}, tier: mainstream, agency: council, capacity: 5,"
                     f" duration: {{exponential: {{mean: 1}}}}, routes: [{{to: {{{targets}}}}}]}}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("n, limit_mib", [(3000, 128), (25000, 1024)])
def test_thousands_of_services_validate_in_bounded_memory(tmp_path, n, limit_mib):
    """3,000 services once took 280 s and two n x n matrices (72 MB each); 25,000 were refused
    as an alias bomb, and their matrices would have been 5 GB each."""
    path = tmp_path / f"services{n}.yaml"
    path.write_text(services_scenario(n))
    proc = validate_within(limit_mib, path)
    assert proc.returncode == 0, proc.stderr
    assert f"{n} services" in proc.stdout
