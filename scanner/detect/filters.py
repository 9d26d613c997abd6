"""Small pure functions that decide whether a regex match is a real secret or noise.

Noise kills scanners: each function here names one kind of false positive and rejects it. The
thresholds were measured on 200,000 synthetic keys (see docs/rules.md): together they reject
fewer than 1 in 10,000 random keys.
"""

from __future__ import annotations

import itertools
import math
import operator
import re
from collections import Counter

from scanner.lazyre import lazy_compile

# Words that only a placeholder or documentation would put inside a key body. They count only in
# one consistent case (`your`, `YOUR`, `Your`): a random body spells `yOuR` as often as `your`,
# and documentation never does.
_PLACEHOLDER_WORDS_TEXT = (
    r"(your|replace|placeholder|example|changeme|change_me|insert|redacted|dummy|sample|fake|mock"
    r"|xxxx|notreal|not_a_real|secret_here|key_here|token_here|here_|goes_?here|apikey|api_key"
    r"|todo|fixme|lorem|ipsum|foobar|testkey|test_key|testtoken|mykey|my_key|demo|qwerty|asdf|zxcv)"
)
_PLACEHOLDER_WORDS = lazy_compile("(?i)" + _PLACEHOLDER_WORDS_TEXT)
_PLACEHOLDER_WORDS_LOWER = lazy_compile(_PLACEHOLDER_WORDS_TEXT)
_TEMPLATE_MARKERS = ("${", "{{", "}}", "<", ">", "%(", "$(", "***", "…", "...", "%s", "{0}", "•")
_TEMPLATE_MARKER = re.compile("|".join(map(re.escape, _TEMPLATE_MARKERS)))
# Six identical characters in a row: 3e-5 for a random 32-hex key, while every "0000000"/"XXXXXX"
# placeholder has one. (Four in a row would drop 0.7% of real legacy keys.)
_SAME_CHAR_RUN = lazy_compile(r"(.)\1{5,}")
_ASCENDING_RUNS = tuple(s[i : i + 6] for s in ("0123456789", "abcdefghijklmnopqrstuvwxyz") for i in range(len(s) - 5))
_NOT_DIGIT = lazy_compile(r"[^0-9]")
_NOT_LETTER = lazy_compile(r"[^A-Za-z]")
# Searched in lowered bytes (what re.IGNORECASE does for a bytes pattern: ASCII only), only on a line
# that holds "pragma:" at all.
# `whitelist` is detect-secrets' spelling before 1.0, still in many code bases.
_PRAGMA_ALLOW = lazy_compile(rb"pragma:\s*(?:allowlist|whitelist)[ -]secret")
_PRAGMA_NEXTLINE_ALLOW = lazy_compile(rb"pragma:\s*allowlist[ -]nextline[ -]secret")
_TOKEN = lazy_compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_VOWELS = frozenset("aeiouyAEIOUY")
# Vowel-less words that identifiers really use (md_HtmlToPdf, md_parse_csv_rows...).
_ABBREVIATIONS = frozenset(
    (  # noqa: SIM905 - a word list reads better as prose
        "html xml pdf css scss sql url csv cmd std src dst msg ctx pkg jpg png svg gif http https rgb dpi pwd "
        "ssh tcp udp dns utf md nbr cnt lst btn nxt prv txt ttl pct qty sdk cli jwt ocr cfg mgr srv dlg wnd "
        "bg fg px rx tx ms fn xhr dom rtl ltr thm nvm npm htm "
        # Acronyms of type and module names (PKCS7PrivateKeyTypes, JWKSClient, TLSConfig, SFTPKeyStore).
        "pkcs jwk jwks jwt pgp gpg tls ssl crl csr hsm kms sts ssm rds gcp sns sqs fs js py rb dll bin tmp vm "
        "gpu ssd hdd nfs smb ftp sftp scp smtp krb ntlm rpc grpc xsd xslt yml tsv crc ssh2 pkcs7 pkcs8 pkcs12 "
        "hmac rsa dsa ecdsa aes des sha md5 x509"
    ).split()
)
# Letter pairs of English words, from the identifiers and prose of the CPython standard library
# (the 438 pairs that make up 99% of pair occurrences): names are made of them, random bodies are not.
_COMMON_BIGRAMS = frozenset(
    (  # noqa: SIM905
        "aa ab ac ad af ag ah ai ak al am an ap ar as at au av aw ax ay az ba bb bc bd be bf bi bj bl bm "
        "bn bo bp br bs bt bu by ca cb cc cd ce cf cg ch ci ck cl cm cn co cp cr cs ct cu cv cw cy da db "
        "dc dd de df dg di dj dl dm dn do dp dr ds dt du dv dx dy ea eb ec ed ee ef eg eh ei ek el em en "
        "eo ep eq er es et eu ev ew ex ey ez fa fc fd fe ff fg fi fl fm fn fo fp fr fs ft fu fy ga gc gd "
        "ge gf gg gh gi gl gm gn go gp gr gs gt gu gv ha hd he hi hl hm hn ho hp hr hs ht hu hy ia ib ic "
        "id ie if ig ii ik il im in io ip iq ir is it iv ix iz ja je jo ju ka kd ke kg ki kl kn ko ks kt "
        "ku kw la lb lc ld le lf lg li ll lm ln lo lp lr ls lt lu lv ly ma mb mc md me mf mi mk ml mm mn "
        "mo mp mr ms mt mu my na nb nc nd ne nf ng nh ni nj nk nl nm nn no np nr ns nt nu nv nw ny oa ob "
        "oc od oe of og oi oj ok ol om on oo op or os ot ou ov ow ox oy pa pc pd pe pf pg ph pi pk pl pm "
        "pn po pp pr ps pt pu pw py ql qr qu ra rb rc rd re rf rg rh ri rk rl rm rn ro rp rr rs rt ru rv "
        "rw ry sa sb sc sd se sf sg sh si sk sl sm sn so sp sq sr ss st su sv sw sy ta tb tc td te tf tg "
        "th ti tl tm tn to tp tr ts tt tu tv tw tx ty tz ua ub uc ud ue uf ug ui ul um un uo up ur us ut "
        "ux va ve vi vo vp vs wa wd we wh wi wl wn wo wr ws xa xc xd xe xf xi xl xm xo xp xr xs xt xy ya "
        "yb yc yd ye yf yg yi yl ym yn yo yp yr ys yt yv yw yz za ze zi zo "
    ).split()
)
# The other pairs of two lowercase letters: a set lookup per pair, no slicing.
_LOWERCASE = "abcdefghijklmnopqrstuvwxyz"  # not `string.ascii_lowercase`: importing `string` compiles a regex
_RARE_BIGRAMS = frozenset(a + b for a in _LOWERCASE for b in _LOWERCASE) - _COMMON_BIGRAMS
_MAX_RARE_BIGRAMS = 2
_UUID = lazy_compile(r"(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_LAST_NON_URL = lazy_compile(rb"(?s).*[^A-Za-z0-9._~%/:@-]")
_REST_PATH = lazy_compile(rb"(?:/[a-z0-9._~%-]{1,40})+/")


def shannon_entropy(text: str) -> float:
    """Bits per character: random keys score high, words and repeated characters low."""
    if not text:
        return 0.0
    n = len(text)
    return -sum([(c / n) * math.log2(c / n) for c in Counter(text).values()])


def _has_placeholder_word(secret: str) -> bool:
    tokens: set[str] | None = None
    # ASCII (every key body): the lowercase pattern on a lowered copy finds the same spans as the
    # caseless one, 4x faster (a caseless alternation is tried letter by letter at every position).
    found = (
        _PLACEHOLDER_WORDS_LOWER.finditer(secret.lower()) if secret.isascii() else _PLACEHOLDER_WORDS.finditer(secret)
    )
    for m in found:
        word = secret[m.start() : m.end()]
        if word not in (word.lower(), word.upper(), word.capitalize()):
            continue
        if len(word) > 4:
            return True
        # A short word counts only as a whole word (`YOUR_KEY`, `FakeKey`): random bodies spell
        # `xTODOq` or `ObFake...` once in 20,000.
        if tokens is None:
            tokens = {t.lower() for t in _TOKEN.findall(secret)}
        if word.lower() in tokens:
            return True
    return False


def _has_sequence(text: str, size: int = 6) -> bool:
    """abcdef, 012345, aBcDeF: a run of consecutive characters typed by a human."""
    if size == 6 and text.isascii():
        # ASCII letters and digits step by one only inside 0-9 and a-z (after lowering), so a run of
        # six is one of 26 strings: C-speed substring searches instead of a Python loop per character
        # (68 us of the 180 us a candidate cost on a dense input).
        low = text.lower()
        return any(map(low.__contains__, _ASCENDING_RUNS))
    return _has_sequence_loop(text, size)


def _has_sequence_loop(text: str, size: int = 6) -> bool:
    """`_has_sequence` for any text (Unicode letters and digits step by one too)."""
    run = 1
    for a, b in itertools.pairwise(text):
        run = run + 1 if a.isalnum() and b.isalnum() and ord(b.lower()) - ord(a.lower()) == 1 else 1
        if run >= size:
            return True
    return False


def _is_periodic(text: str) -> bool:
    """A short pattern repeated to key length (a1a1a1..., Ab1Ab1...)."""
    n = len(text)
    # Period p: text[i] == text[i - p] for every i >= p, one C-speed slice comparison per p. Every
    # character then appears in text[:p], so no period is shorter than the count of distinct ones.
    return n >= 12 and any(text[p:] == text[: n - p] for p in range(max(1, len(set(text))), n // 2 + 1))


def is_placeholder(secret: str) -> bool:
    """Template variables, masked keys and `YOUR_KEY_HERE` style bodies are documentation, not leaks."""
    if _TEMPLATE_MARKER.search(secret):
        return True
    body = secret[3:] if secret.startswith("md_") else secret
    if _SAME_CHAR_RUN.search(body) or _has_sequence(body) or _is_periodic(body):
        return True
    if body.isascii():  # str.isalpha and str.isdigit are [A-Za-z] and [0-9] there
        digits, letters = _NOT_DIGIT.sub("", body), _NOT_LETTER.sub("", body)
    else:
        digits, letters = "".join(filter(str.isdigit, body)), "".join(filter(str.isalpha, body))
    if _has_sequence(digits) and _has_sequence(letters):
        return True  # a1b2c3d4e5f6..., A1B2C3...: two sequences typed in turn
    if len(body) >= 20 and len(set(body)) < 8:
        return True
    return _has_placeholder_word(body)


def looks_like_identifier(body: str) -> bool:
    """A name made of words (md_ConvertMarkdownToHtml5, md_docs_Getting_Started): not a generated key.

    The body is cut into words at `_`, `-`, `.` and case changes. Names have few, long, pronounceable
    words; a random body breaks into many short fragments (`Xq`, `b`, `Z7`) and vowel-less runs.
    Measured: 6.5e-5 of random 32/43-character bodies look like names, 1 in 4,000 generated names do not.
    """
    tokens = [t for piece in re.split(r"[_\-.]+", body) if piece for t in _TOKEN.findall(piece)]
    if not tokens:
        return True
    if len(tokens) > max(2, len(body) // 3 + 2):
        return False
    digits = [t for t in tokens if t.isdigit()]
    # One long number is a name's (Ed25519PrivateKey, Sha256Digest); random bodies have many short ones.
    if len(digits) > 6 or any(len(t) > 4 for t in digits[1:]) or any(len(t) > 6 for t in digits):
        return False
    if 4 * sum(map(len, digits)) > len(body):
        return False
    rare = 0
    for i, tok in enumerate(tokens):
        if tok.isdigit() or (i == len(tokens) - 1 and len(tokens) > 3 and len(tok) <= 4):
            continue  # a name cut to key length ends in a piece of a word (...RenderHtm)
        low = tok.lower()
        if low not in _ABBREVIATIONS:
            rare += sum(map(_RARE_BIGRAMS.__contains__, map(operator.add, low, low[1:])))
        if len(tok) == 1:
            # A lone letter is a word only as a version tag (V2, X11), `a`, or the capital that
            # starts a camel-case acronym word (OAuth1Server, EBook, IPhone).
            # A name cut to key length may end in one letter of its next word (...MarkdownC).
            following = tokens[i + 1] if i + 1 < len(tokens) else "0"
            camel = tok.isupper() and len(following) >= 3 and following[0].isupper() and following[1:].islower()
            if not (following.isdigit() or tok in "aAI" or camel):
                return False
            continue
        if tok.isupper() and len(tok) > 5:
            return False
        if len(tok) >= 3 and tok.lower() not in _ABBREVIATIONS:
            vowels = sum(c in _VOWELS for c in tok)
            if vowels == 0 or (len(tok) >= 7 and vowels < 2):
                return False
    return rare <= _MAX_RARE_BIGRAMS


def is_random_token(body: str) -> bool:
    """A generated key body: random letters and digits, not words, a hash or a human pattern.

    Mixed-case bodies are judged as names (`looks_like_identifier`). Single-case bodies are real
    too (Mindee issues `md_` keys of lowercase letters and digits, about 165 bits): they are
    judged by `_reads_as_words`, and an all-hex body is a hash (`md_` + an MD5 cache key), which
    a random [a-z0-9] body is once in 2e11.
    """
    if body.isascii():  # only letters change case there
        has_upper, has_lower = body.lower() != body, body.upper() != body
    else:
        has_upper, has_lower = any(c.isupper() for c in body), any(c.islower() for c in body)
    if has_upper and has_lower:
        if shannon_entropy(body) < 3.3:
            return False
        return not looks_like_identifier(body)
    if not (has_upper or has_lower):
        return False  # digits only: a number, an id
    if _HEX_ONLY.fullmatch(body):
        return False
    if shannon_entropy(body) < 3.3:
        return False
    return not _reads_as_words(body.lower())


def _by_first_letter(words: list[str]) -> str:
    """`words` as one alternation, grouped by first letter in their order: the same leftmost-first
    match at each position (words of other first letters cannot match there), without trying ~150
    alternatives at every character."""
    groups: dict[str, list[str]] = {}
    for w in words:
        groups.setdefault(w[0], []).append(re.escape(w[1:]))
    return "|".join(f"{re.escape(c)}(?:{'|'.join(rest)})" for c, rest in groups.items())


_ABBREVIATION_RUN = lazy_compile(
    _by_first_letter(sorted((a for a in _ABBREVIATIONS if len(a) >= 3), key=len, reverse=True))
)
_HEX_ONLY = lazy_compile(r"[0-9a-fA-F_\-]+")
_RUNS = lazy_compile(r"[a-z]+|[0-9]+")


def _reads_as_words(body: str) -> bool:
    """A lowercase body made of words and a few numbers (`invoiceparserv2htmlrenderer`), not random.

    Random [a-z0-9] text breaks into many digit runs and letter pairs that English avoids; words
    glued together have few of either and many vowels. Measured on 100,000 random 32-character
    bodies: 1e-4 read as words; of 3,000 names glued from words (and a number), 3e-4 do not.
    """
    # Vowel-less abbreviations (html, pdf, csv) are words: they are cut out before letters are judged.
    runs = _RUNS.findall(_ABBREVIATION_RUN.sub(" ", body))
    letters = [r for r in runs if r.isalpha()]
    # Pairs of adjacent characters, counted in C: a pair across the space between two runs is no
    # letter pair, so it is never rare.
    joined = " ".join(letters)
    rare = sum(map(_RARE_BIGRAMS.__contains__, map(operator.add, joined, joined[1:])))
    digit_runs = len(runs) - len(letters)
    if rare + digit_runs <= 2 or (rare == 0 and digit_runs <= 3):
        return True
    n_letters = sum(map(len, letters))
    vowels = sum(map(joined.count, "aeiouy"))
    # Glued words break at odd pairs (`invoicehtml`: "eh"), yet keep a vowel in three letters where
    # random letters have one in five.
    if digit_runs <= 2 and rare <= 4 and n_letters >= 16 and vowels >= 0.33 * n_letters:
        return True
    return digit_runs == 0 and n_letters > 0 and vowels >= 0.3 * n_letters


# Values published as examples (RFC 6749/5849/7009/7636 examples, AWS documentation keys) and digests
# of the empty string: they fill documentation, docstrings and test suites, and protect nothing.
KNOWN_EXAMPLE_SECRETS = frozenset(
    (  # noqa: SIM905
        "2YotnFZFEjr1zCsicMWpAA tGzv3JOkF0XG5Qx2TlKWIA SplxlOBeZQQYbYS6WxSbIA 8xLOxBtZp8 "
        "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM "
        "45ghiukldjahdnhzdauz ad180jjd733klru7 hh5s93j4hdidpola nnch734d00sl2jdk pfkkdhi9sl3r4s00 "
        "kd94hf93k423kf44 hdk48Djdsa dh893hdasih9 lsdkfol23w54jlksdef qwe089234lkjsdf "
        "dpf43f3p2l4k3l03 0685bd9184jfhq22 kkk9d7dh3k39sjv7 j49sk3j29djd 4572616e48616d6d65724c61686176 "
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY "
        "AKIAIOSFODNN7EXAMPLE AKIAI44QH8DHBEXAMPLE "
        "d41d8cd98f00b204e9800998ecf8427e da39a3ee5e6b4b0d3255bfef95601890afd80709 "
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    ).split()
)


def is_generic_secret(value: str) -> bool:
    """A value assigned to `password`/`token`/`secret` that reads as generated, not as code or prose.

    Letters and digits both present (P(no digit) is 3% for 20 random alphanumerics, while
    `process.env.API_KEY` or `settings.SECRET_KEY` have none), not a UUID (model and object ids),
    not a dotted path or a name made of words.
    """
    if not any(c.isdigit() for c in value) or not any(c.isalpha() for c in value):
        return False
    if value in KNOWN_EXAMPLE_SECRETS:
        return False
    if _UUID.fullmatch(value):
        return False
    if "." in value and all(p.isidentifier() for p in value.split(".") if p):
        return False
    if re.fullmatch(r"v?\d+(?:[.\-]\d+)*(?:[.\-][a-z0-9]+)?", value, re.IGNORECASE):
        return False  # a version number
    return not looks_like_identifier(value)


def in_url_path(data: bytes, start: int) -> bool:
    """A secret right after `/` counts only inside a URL path, never inside a base64 blob.

    Base64 never holds `.` or `:` and its `+`/`=` end the run, so a path with a host
    (`https://api.example.com/keys/md_...`) or a plain REST path (`/v2/keys/md_...`) is told apart
    from `...Zm9v/md_...` inside an encoded image.
    """
    floor = max(0, start - 512)
    # The run of URL characters ending at `start`: the last other byte is found by one backtracking
    # match in C (a search for a run anchored at the end restarted at each of 512 bytes: 375 us).
    last = _LAST_NON_URL.match(data, floor, start)
    run = data[last.end() if last else floor : start]
    return b"." in run or b":" in run or bool(_REST_PATH.fullmatch(run))


def has_inline_allow(line: bytes, previous_line: bytes = b"") -> bool:
    """The markers users already know: mindee-scan:allow, gitleaks:allow, trufflehog:ignore, ggignore
    (ggshield), pragma: allowlist secret and pragma: whitelist secret (detect-secrets)."""
    # Literal finds in a lowered copy: a caseless regex search over a megabyte minified line that holds
    # "allow" somewhere took 70 ms (0.6 s of one worker's 2.4 s on 100,000 objects of ansible/ansible).
    lowered = line.lower()
    if b"mindee-scan:allow" in lowered or b"gitleaks:allow" in lowered:
        return True
    if b"trufflehog:ignore" in lowered or b"ggignore" in lowered:
        return True
    if b"pragma:" in lowered and _PRAGMA_ALLOW.search(lowered):
        return True
    previous = previous_line.lower()
    return b"pragma:" in previous and bool(_PRAGMA_NEXTLINE_ALLOW.search(previous))
