"""The ``anops-policy`` command group and its entry point (the commands live beside it, by concern). Thin:
parse, call one engine function, print, exit. All errors go through ``main``'s single handler (exit codes in
errors.py)."""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from typing import Any

import click

from anops_policy import __version__
from anops_policy.cli.audit import audit as audit_group
from anops_policy.cli.audit import signoff_cmd
from anops_policy.cli.authoring import check_cmd, explain_cmd, init_cmd, schema_cmd, test_cmd
from anops_policy.cli.evaluate import eval_cmd, facts_cmd
from anops_policy.cli.packs import pack_group
from anops_policy.cli.plugins import plugins_cmd
from anops_policy.cli.query import query_cmd
from anops_policy.cli.scaffold import new_group
from anops_policy.cli.serve import serve_cmd
from anops_policy.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, AnopsError


class AnopsGroup(click.Group):
    """Maps errors to messages and exit codes for every command (also under click's test runner)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AnopsError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:
            # the reader of our output went away (`audit export … | head`): not an error of ours; stdout goes to
            # /dev/null so the interpreter's final flush does not raise again
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(EXIT_OK)
        except Exception as exc:
            if os.environ.get("ANOPS_POLICY_DEBUG"):
                traceback.print_exc()
            click.echo(
                f"internal error: {type(exc).__name__}: {exc} (set ANOPS_POLICY_DEBUG=1 for a traceback)", err=True
            )
            ctx.exit(EXIT_INTERNAL)


@click.group(cls=AnopsGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="anops-policy")
def cli() -> None:
    """Production-readiness checklists as code.

    Collectors read a repository into a JSON fact document; CEL policies judge it and explain every
    failure with the file and line that caused it.

    \b
    Examples:
      anops-policy eval                      evaluate the current repository
      anops-policy eval examples/anops --output json=report.json
      anops-policy facts . --only todos      show what the collectors see
      anops-policy check policies/           load and statically check policy files
      anops-policy test policies/            run every policy's examples
      anops-policy plugins                   list the installed collector plugins
      anops-policy pack --help               build, sign, publish and pin policy packs
    """


cli.add_command(eval_cmd)
cli.add_command(facts_cmd)
cli.add_command(check_cmd)
cli.add_command(test_cmd)
cli.add_command(explain_cmd)
cli.add_command(schema_cmd)
cli.add_command(init_cmd)
cli.add_command(audit_group)
cli.add_command(signoff_cmd)
cli.add_command(serve_cmd)
cli.add_command(plugins_cmd)
cli.add_command(new_group)
cli.add_command(query_cmd)
cli.add_command(pack_group)


def main(argv: list[str] | None = None) -> None:
    """Entry point: the one place that maps errors to exit codes and messages."""
    try:
        # without standalone mode click returns (not raises) the code given to ctx.exit()
        code = cli.main(args=argv, prog_name="anops-policy", standalone_mode=False)
        if isinstance(code, int) and code != EXIT_OK:
            sys.exit(code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE if exc.exit_code not in (0, 1) else exc.exit_code)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except AnopsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(EXIT_OK)
    except Exception as exc:
        if os.environ.get("ANOPS_POLICY_DEBUG"):
            traceback.print_exc()
        click.echo(f"internal error: {type(exc).__name__}: {exc} (set ANOPS_POLICY_DEBUG=1 for a traceback)", err=True)
        sys.exit(EXIT_INTERNAL)
    sys.exit(EXIT_OK)
