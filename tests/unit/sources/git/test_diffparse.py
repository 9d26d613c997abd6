"""A staged diff is parsed as git writes it, with a bound on the added-line numbers it keeps."""

from __future__ import annotations

from scanner.sources.git.diffparse import parse_diff, parse_diff_lines

_DIFF = b"""diff --git a/a.txt b/a.txt
new file mode 100644
index 0000000000000000000000000000000000000000..1111111111111111111111111111111111111111
--- /dev/null
+++ b/a.txt
@@ -0,0 +1,3 @@
+one
+two
+three
diff --git a/b.txt b/b.txt
index 2222222222222222222222222222222222222222..3333333333333333333333333333333333333333 100644
--- a/b.txt
+++ b/b.txt
@@ -4,0 +5,2 @@
+four
+five
"""


def test_lines_as_a_pipe_yields_them_parse_as_the_whole_output() -> None:
    streamed = parse_diff_lines(iter(_DIFF.splitlines(keepends=True)))
    assert [(c.path, c.added, c.lines_dropped) for c in streamed] == [
        (c.path, c.added, False) for c in parse_diff(_DIFF)
    ]
    assert [c.added for c in streamed] == [{1, 2, 3}, {5, 6}]


def test_past_the_budget_a_file_keeps_no_line_numbers_and_says_so() -> None:
    changes = parse_diff_lines(_DIFF.splitlines(keepends=True), max_added=2)
    assert [(c.path, c.lines_dropped) for c in changes] == [("a.txt", True), ("b.txt", True)]
    changes = parse_diff_lines(_DIFF.splitlines(keepends=True), max_added=3)
    assert [(c.path, c.added, c.lines_dropped) for c in changes] == [
        ("a.txt", {1, 2, 3}, False),
        ("b.txt", set(), True),
    ]
