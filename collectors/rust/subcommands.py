"""A crate's subcommands: those it declares with clap or structopt (derive or builder), and the one an
argument list given to its binary selects."""

from __future__ import annotations

from dataclasses import dataclass

from anops_policy.collectors.rust.scan import Scan, attr_path
from anops_policy.collectors.rust.tokens import IDENT, STR, Token, positions_of


def subcommand_of(args: list[str | None], declared: dict[str, str]) -> str | None:
    """The subcommand an argument list selects: the first argument that is a declared subcommand or
    alias (``declared`` maps both to the subcommand's name), or, when the crate declares none, the first
    argument that is not a flag."""
    for a in args:
        if a is None:
            if not declared:
                return None
            continue
        if a == "--":
            return None
        if a.startswith("-"):
            continue
        if not declared:
            return a
        if a in declared:
            return declared[a]
    return None


def _kebab(name: str) -> str:
    out = ""
    for n, ch in enumerate(name):
        if (
            ch.isupper()
            and n > 0
            and (
                name[n - 1].islower()
                or name[n - 1].isdigit()
                or (n + 1 < len(name) and name[n + 1].islower() and name[n - 1].isupper())
            )
        ):
            out += "-"
        out += ch.lower()
    return out.replace("_", "-")


@dataclass
class Declared:
    name: str
    line: int
    aliases: list[str]


_DECLARING = frozenset(("enum", "subcommand", "subcommands"))


def declared_subcommands(sc: Scan) -> list[Declared]:
    """Subcommands a file declares with clap or structopt: variants of an enum deriving ``Subcommand``
    (or ``StructOpt``/``Parser``) in kebab-case, honouring ``name = "…"`` and ``alias``/``aliases``/
    ``visible_alias(es)``, and builder-style ``.subcommand(Command::new("…"))`` /
    ``SubCommand::with_name("…")``. A ``flatten``ed, ``skip``ped or ``external_subcommand`` variant is
    not a subcommand itself."""
    toks, match = sc.tokens, sc.match
    out: list[Declared] = []
    for i in positions_of(sc.keys, _DECLARING):  # identifiers only: no punctuation is a word
        t = toks[i]
        if t.is_ident("enum") and i + 2 < len(toks) and toks[i + 1].kind == IDENT:
            j = i + 2
            while j < len(toks) and not toks[j].is_punct("{"):
                j += 1
            if j >= len(toks) or j not in match or not _derives_subcommand(toks, match, i):
                continue
            out.extend(_variants(toks, match, j))
        elif (
            t.kind == IDENT
            and t.text in ("subcommand", "subcommands")
            and i > 0
            and toks[i - 1].is_punct(".")
            and i + 1 < len(toks)
            and toks[i + 1].is_punct("(")
            and (i + 1) in match
        ):
            inner = toks[i + 2 : match[i + 1]]
            for k in range(len(inner) - 4):
                if (
                    inner[k].kind == IDENT
                    and inner[k].text in ("Command", "App", "SubCommand")
                    and inner[k + 1].is_punct("::")
                    and inner[k + 2].text in ("new", "with_name")
                    and inner[k + 3].is_punct("(")
                    and inner[k + 4].kind == STR
                ):
                    out.append(Declared(inner[k + 4].text, inner[k + 4].line, []))
                elif (
                    out
                    and inner[k].is_punct(".")
                    and inner[k + 1].kind == IDENT
                    and inner[k + 1].text in ("alias", "visible_alias", "aliases", "visible_aliases")
                    and inner[k + 2].is_punct("(")
                ):
                    # builder aliases belong to the `Command::new` they follow
                    stop = next((m for m in range(k + 3, len(inner)) if inner[m].is_punct(")")), len(inner))
                    out[-1].aliases = sorted(
                        {*out[-1].aliases, *(x.text for x in inner[k + 3 : stop] if x.kind == STR)}
                    )
    return out


def _derives_subcommand(toks: list[Token], match: dict[int, int], enum_index: int) -> bool:
    j = enum_index - 1
    if j >= 0 and toks[j].is_punct(")") and j in match:  # pub(crate)
        j = match[j] - 1
    if j >= 0 and toks[j].is_ident("pub"):
        j -= 1
    while j >= 0 and toks[j].is_punct("]") and j in match:
        open_ = match[j]
        inner = toks[open_ + 1 : j]
        if attr_path(inner) == "derive" and any(
            x.kind == IDENT and x.text in ("Subcommand", "StructOpt", "Parser") for x in inner
        ):
            return True
        j = open_ - 2
    return False


def _variants(toks: list[Token], match: dict[int, int], open_: int) -> list[Declared]:
    out: list[Declared] = []
    close = match[open_]
    j = open_ + 1
    rename: str | None = None
    aliases: list[str] = []
    skip = False
    while j < close:
        t = toks[j]
        if t.is_punct("#") and j + 1 < close and toks[j + 1].is_punct("[") and (j + 1) in match:
            end = match[j + 1]
            inner = toks[j + 2 : end]
            if attr_path(inner) in ("command", "clap", "structopt"):
                idents = [x.text for x in inner if x.kind == IDENT]
                if any(k in idents for k in ("flatten", "external_subcommand", "skip")):
                    skip = True
                for k in range(len(inner) - 2):
                    if not (inner[k].kind == IDENT and inner[k + 1].is_punct("=")):
                        continue
                    key = inner[k].text
                    if key == "name" and inner[k + 2].kind == STR:
                        rename = inner[k + 2].text
                    elif key in ("alias", "visible_alias") and inner[k + 2].kind == STR:
                        aliases.append(inner[k + 2].text)
                    elif key in ("aliases", "visible_aliases") and inner[k + 2].is_punct("["):
                        stop = match.get(j + 2 + k + 2, k + 2)
                        aliases.extend(x.text for x in toks[j + 2 + k + 3 : stop] if x.kind == STR)
            j = end + 1
            continue
        if t.kind == IDENT:
            if not skip:
                out.append(Declared(rename or _kebab(t.text), t.line, sorted(set(aliases))))
            rename, aliases, skip = None, [], False
            j += 1
            while j < close and not toks[j].is_punct(","):  # skip the variant's fields
                if toks[j].kind == "punct" and toks[j].text in "({" and j in match:
                    j = match[j]
                j += 1
        j += 1
    return out
