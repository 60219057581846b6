"""``anops-policy new pack|policy|rule|input|collector``: files from templates that pass ``check`` and ``test`` as
written; and ``schema --write`` for editors."""

from __future__ import annotations

from pathlib import Path

import click

schemas_option = click.option(
    "--schemas",
    type=click.Path(path_type=Path, file_okay=False),
    help="The folder holding the JSON Schemas the files' `# yaml-language-server: $schema=` line names "
    "(default: PACK/.schemas, written when missing; `anops-policy schema --write DIR` fills another).",
)


@click.group("new")
def new_group() -> None:
    """Start a pack, a policy, a pattern rule or a collector plugin from a template.

    Every file passes `anops-policy check` and `anops-policy test` as written, with a passing and a
    failing example to edit, and starts with a `# yaml-language-server: $schema=…` line so that editors
    with a YAML language server (VS Code's YAML extension, JetBrains IDEs) complete and check it.

    \b
    Examples:
      anops-policy new pack my-pack
      anops-policy new policy images-are-pinned --pack my-pack --item 2.4
      anops-policy new policy components-have-owners --pack my-pack --for-each facts.layout.components
      anops-policy new rule go_no_log_fatal --pack my-pack --language go
      anops-policy new input app_config --pack my-pack --files "config/**/*.yaml"
      anops-policy new collector codeowners plugins/codeowners
    """


def _report(paths: list[Path]) -> None:
    for path in paths:
        click.echo(f"wrote {path}")


@new_group.command("pack")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--id", "pack_id", help="The pack's id (default: the folder's name).")
@schemas_option
def new_pack_cmd(folder: Path, pack_id: str | None, schemas: Path | None) -> None:
    """A pack in FOLDER: pack.yaml (one section, item 1.1) and a starter policy for it.

    \b
    Examples:
      anops-policy new pack my-pack && anops-policy check my-pack && anops-policy test my-pack
    """
    from anops_policy.policy.scaffold import new_pack  # noqa: PLC0415

    _report(new_pack(folder, schemas, pack_id=pack_id))


@new_group.command("policy")
@click.argument("policy_id", metavar="ID")
@click.option("--pack", "pack", type=click.Path(path_type=Path, file_okay=False), default=Path(),
              show_default=True, help="The pack folder to write ID.yaml into.")
@click.option("--item", metavar="N.N", help="The checklist item it automates; added to pack.yaml when missing "
              "(default: the pack's first item).")
@click.option("--for-each", "for_each", metavar="EXPR",
              help="One decision per element of this fact list (e.g. facts.layout.components).")
@schemas_option
def new_policy_cmd(policy_id: str, pack: Path, item: str | None, for_each: str | None, schemas: Path | None) -> None:
    """A policy PACK/ID.yaml (ID: kebab-case that reads as the good state).

    Without --for-each it judges a count against a parameter; with it, one decision per element of the
    list, on one of the element's string fields. Edit the rule, message and examples, then run
    `anops-policy test --mutate PACK` to see whether the examples notice a wrong rule.

    \b
    Examples:
      anops-policy new policy my-check --pack my-pack --item 5.1
      anops-policy new policy components-have-owners --pack my-pack --for-each facts.layout.components
    """
    from anops_policy.policy.scaffold import new_policy  # noqa: PLC0415

    _report(new_policy(pack, policy_id, item=item, for_each=for_each, schemas=schemas))


@new_group.command("rule")
@click.argument("rule_id", metavar="ID")
@click.option("--pack", "pack", type=click.Path(path_type=Path, file_okay=False), default=Path(),
              show_default=True, help="The pack folder; the rule goes to PACK/patterns/ID.yaml.")
@click.option("--language", "language", default="python", show_default=True, metavar="LANG",
              help="The language the rule reads (go, rust, typescript, java, csharp, … or an alias such as ts).")
@schemas_option
def new_rule_cmd(rule_id: str, pack: Path, language: str, schemas: Path | None) -> None:
    """A code-pattern rule PACK/patterns/ID.yaml (ID: snake_case; policies read facts.patterns.ID).

    The starter finds console output where a logger belongs in LANG, with an example it matches and
    examples it must not; replace the pattern and the examples with your own.

    \b
    Examples:
      anops-policy new rule py_print_calls --pack my-pack && anops-policy test my-pack
      anops-policy new rule go_println --pack my-pack --language go
    """
    from anops_policy.policy.scaffold import new_rule  # noqa: PLC0415

    _report(new_rule(pack, rule_id, schemas, language=language))


@new_group.command("input")
@click.argument("name")
@click.option("--pack", "pack", type=click.Path(path_type=Path, file_okay=False), default=Path(),
              show_default=True, help="The pack folder whose pack.yaml declares the input.")
@click.option("--parser", default="yaml", show_default=True,
              type=click.Choice(["yaml", "json", "jsonc", "json5", "toml", "ini", "xml", "hcl2", "dotenv",
                                 "properties", "dockerfile"]), help="How the files are read.")
@click.option("--files", "files", multiple=True, metavar="GLOB",
              help="The files to read (repeatable; default: every file of the parser's kind, e.g. **/*.yaml).")
@click.option("--item", metavar="N.N", help="The checklist item the starter policy automates; added to pack.yaml "
              "when missing (default: the pack's first item).")
@schemas_option
def new_input_cmd(
    name: str, pack: Path, parser: str, files: tuple[str, ...], item: str | None, schemas: Path | None
) -> None:
    """A structured-file input NAME in PACK/pack.yaml (read as facts.files.NAME) and a starter policy
    PACK/NAME-files-parse.yaml that every file of it parses.

    \b
    Examples:
      anops-policy new input app_config --pack my-pack --files "config/**/*.yaml"
      anops-policy new input terraform --pack my-pack --parser hcl2 --files "infra/**/*.tf"
    """
    from anops_policy.policy.scaffold_input import new_input  # noqa: PLC0415

    _report(new_input(pack, name, parser=parser, files=files, item=item, schemas=schemas))


@new_group.command("collector")
@click.argument("name")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
def new_collector_cmd(name: str, folder: Path) -> None:
    """A collector plugin package in FOLDER adding facts.NAME (entry point, SCHEMA, a test).

    \b
    Examples:
      anops-policy new collector markdown_files plugins/markdown
      pip install -e plugins/markdown && anops-policy plugins --check
    """
    from anops_policy.pipeline.collector_skeleton import new_collector  # noqa: PLC0415

    _report(new_collector(folder, name))
