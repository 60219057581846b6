"""``anops-policy test --mutate``: the mutation run behind the ``test`` command's flag."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from anops_policy.cli.output import write_output


def run_mutation(
    paths: list[Path], *, min_score: float | None, jobs: int | None, scores: Path | None, fmt: str, quiet: int
) -> int:
    """Mutate every policy under ``paths``; the exit code: 1 when a policy's own examples fail or a pack
    scores below ``min_score``, else 0."""
    from anops_policy.evaluation.mutation import mutate_policies, pack_scores  # noqa: PLC0415
    from anops_policy.evaluation.mutation_report import (  # noqa: PLC0415
        mutation_targets,
        render_text,
        score_file,
        to_json,
    )

    targets = mutation_targets(paths)
    started = time.perf_counter()
    results = mutate_policies(targets, jobs=jobs or None)
    seconds = time.perf_counter() - started
    if fmt == "json":
        click.echo(json.dumps(to_json(results, seconds), indent=2))
    else:
        click.echo(render_text(results, seconds, quiet=quiet), nl=False)
    if scores is not None:
        write_output(scores, score_file(results))
        click.echo(f"wrote {scores}", err=True)
    code = 0
    for result in results:
        if result.problem:
            code = 1
    if min_score is not None:
        for pack in pack_scores(results):
            if pack.score is not None and pack.score < min_score:
                click.echo(f"pack {pack.pack}: mutation score {pack.score:.1f}% is below --min-score {min_score:g}%",
                           err=True)
                code = 1
    return code
