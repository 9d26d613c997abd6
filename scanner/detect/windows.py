"""Where a rule's regex looks around its prefilter hits, and the lines those windows touch (where the
decoders read when the regex found nothing there): one definition for the engine and for the hook's
fast path (scanner/app/quickstaged.py), which imports this without `re` or `typing`.
"""

from __future__ import annotations


def merge_windows(spans: list[tuple[int, int]], before: int, after: int, size: int) -> list[tuple[int, int]]:
    """Each hit widened by the rule's window, overlapping ones merged (`spans` is sorted in place)."""
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        ws, we = max(0, s - before), min(size, e + after)
        if merged and ws <= merged[-1][1]:
            if we > merged[-1][1]:
                merged[-1] = (merged[-1][0], we)
        else:
            merged.append((ws, we))
    return merged


def lines_of(data: bytes, windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The lines holding `windows`, each once (many windows on one minified line share it)."""
    out: list[tuple[int, int]] = []
    done = 0
    for ws, we in sorted(windows):
        if we <= done:
            continue
        start = max(done, data.rfind(b"\n", done, ws) + 1)
        end = data.find(b"\n", we)
        done = len(data) if end < 0 else end
        out.append((start, done))
    return out
