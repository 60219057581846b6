"""The pack's checks written straightforwardly in cel-python: one expression per policy, no engine.

Each expression yields ``null`` (the check does not apply), a bool (one decision) or a list of
``[subject, bool]`` pairs (one decision per subject). They read the raw lists the way one would
without the collectors' look-ups: markers by scanning ``todos.items``, Dockerfile problems by
scanning every file's problems, CI by scanning every test command.
"""

from __future__ import annotations

CHECKS: dict[str, str] = {
    "action-plan-current": """
        !("action_plan" in facts.layout.docs) ? null
        : facts.docs.action_plan.present
          && (has(facts.docs.action_plan.days_behind_code) ? facts.docs.action_plan.days_behind_code : 0) <= 30
          && size(facts.docs.action_plan.references.missing_paths) == 0
          && size(facts.docs.action_plan.references.unknown_commands) == 0
          && size(facts.docs.action_plan.commands_not_mentioned) == 0""",
    "ci-does-not-mask-test-failures": """
        !facts.ci.present ? null : size(facts.ci.masked_test_steps) == 0""",
    "ci-publishes-test-reports": """
        !(facts.ci.present && size(facts.ci.test_commands) > 0) ? null
        : facts.ci.reports_published && facts.ci.reports_on_failure
          && size(facts.ci.test_commands.filter(t, t.report_path != null)) > 0""",
    "ci-runs-e2e-tests": """
        size(facts.layout.e2e) == 0 ? null
        : facts.ci.present
          && size(facts.ci.test_commands.filter(t, "e2e" in t.kinds || t.targets.exists(x, x in facts.layout.e2e))) > 0
          && facts.layout.e2e.all(f, facts.ci.test_commands.exists(t,
               ("e2e" in t.kinds || t.targets.exists(x, x in facts.layout.e2e))
               && (f in t.targets || t.targets.exists(x, f.startsWith(x + "/")) || size(t.targets) == 0)))""",
    "ci-tests-every-component": """
        facts.layout.components.map(c, [c.name,
          facts.ci.present
          && facts.ci.test_commands.exists(t, c.name in t.components)
          && (c.kind == "rust-cli" ? ["unit", "integration"] : c.kind == "python-service" ? ["unit"] : [])
             .all(k, facts.ci.test_commands.exists(t, c.name in t.components && k in t.kinds))])""",
    "cli-avoids-panics-on-user-paths": """
        facts.rust.files.filter(p, facts.layout.components.exists(c, c.kind == "rust-cli"
          && c.path == facts.rust.files[p].crate)).map(p, [p, size(facts.rust.files[p].panics) == 0])""",
    "cli-commands-have-integration-tests": """
        facts.layout.components.filter(c, c.kind == "rust-cli" && has(c.commands) && size(c.commands) > 0)
          .map(c, [c.name, c.path in facts.rust.crates && c.commands.all(k,
            facts.rust.crates[c.path].tests.integration.exists(i, i.tests.exists(t, k in t.invoked_commands)))])""",
    "cli-tests-mock-external-commands": """
        facts.layout.components.filter(c, c.kind == "rust-cli").map(c, [c.name,
          c.path in facts.rust.crates && facts.rust.crates[c.path].tests.integration_test_count > 0
          && facts.rust.crates[c.path].tests.mocks_external_commands])""",
    "cli-tests-verify-built-artifacts": """
        facts.layout.components.filter(c, c.kind == "rust-cli" && has(c.commands) && size(c.commands) > 0
          && (facts.grpc.counts.protos > 0 || size(facts.dockerfiles.paths) > 0))
          .map(c, [c.name,
            (facts.grpc.counts.protos == 0
             || (c.path in facts.grpc.by_dir && facts.grpc.by_dir[c.path].generated_code_checks > 0))
            && (size(facts.dockerfiles.paths) == 0
             || (c.path in facts.grpc.by_dir && facts.grpc.by_dir[c.path].image_checks > 0))])""",
    "dockerfiles-bake-in-no-secrets": """
        size(facts.dockerfiles.paths) == 0 ? null
        : facts.dockerfiles.paths.map(p, [p, size(facts.dockerfiles.by_path[p].secrets) == 0])""",
    "dockerfiles-install-nothing-unnecessary": """
        size(facts.dockerfiles.paths) == 0 ? null
        : ["base-latest", "full-base-image", "build-tools-in-final-stage", "apt-install-recommends",
           "apt-lists-kept", "apk-cache-kept", "rpm-cache-kept", "pip-cache-kept", "npm-cache-kept",
           "install-files-left", "no-dockerignore", "add-url", "runs-as-root"].map(code, [code,
             size(facts.dockerfiles.paths.filter(p,
               facts.dockerfiles.by_path[p].problems.exists(x, x.code == code))) == 0
             && facts.dockerfiles.paths.all(p, facts.dockerfiles.by_path[p].parsed)])""",
    "e2e-tests-cover-negative-paths": """
        !facts.layout.e2e.exists(f, f in facts.python.test_files) ? null
        : size(facts.python.e2e.negative_path_tests.filter(t, t.path in facts.layout.e2e)) >= 2""",
    "e2e-tests-tear-down": """
        size(facts.layout.e2e) == 0 ? null
        : facts.layout.e2e.filter(f, f in facts.python.test_files).map(f, [f,
            size(facts.python.e2e.starts_without_teardown.filter(s, s.path == f)) == 0])""",
    "engineer-signed-off": "facts.signoff.current.signed_off",
    "grpc-services-tested-for-internal-errors-and-env": """
        facts.layout.components.filter(c, c.kind == "python-service" && has(c.protocol) && c.protocol == "grpc")
          .map(c, [c.name, c.path in facts.python.services
            && "INTERNAL" in facts.python.services[c.path].test_signals.asserted_grpc_codes
            && facts.python.services[c.path].env_vars.all(e, !e.required
                 || e.name in facts.python.services[c.path].test_signals.env_vars_set
                 || e.name in facts.python.services[c.path].test_signals.env_vars_deleted)])""",
    "http-services-tested-for-startup-env-and-bad-requests": """
        facts.layout.components.filter(c, c.kind == "python-service" && has(c.protocol) && c.protocol == "http")
          .map(c, [c.name, c.path in facts.python.services
            && facts.python.services[c.path].test_signals.tests_startup_shutdown
            && facts.python.services[c.path].test_signals.tests_malformed_requests
            && facts.python.services[c.path].env_vars.all(e,
                 e.name in facts.python.services[c.path].test_signals.env_vars_set
                 || e.name in facts.python.services[c.path].test_signals.env_vars_deleted)])""",
    "images-ship-nothing-unnecessary": "null",  # the images collector is not configured in these documents
    "no-todos-in-release-files": """
        size(facts.layout.release_files) == 0 ? null
        : facts.layout.release_files.map(f, [f, size(facts.todos.items.filter(t, t.path == f)) == 0])""",
    "python-services-configure-logging": """
        !facts.logging.python.available ? null
        : facts.layout.components.filter(c, c.kind == "python-service").map(c, [c.name,
            c.path in facts.logging.python.by_service
            && facts.logging.python.by_service[c.path].configured
            && facts.logging.python.by_service[c.path].level_from_env
            && facts.logging.python.by_service[c.path].has_format
            && size(facts.logging.python.by_service[c.path].prints) == 0])""",
    "python-services-handle-errors-explicitly": """
        facts.layout.components.filter(c, c.kind == "python-service" && c.path in facts.python.services)
          .map(c, [c.name, size(facts.python.services[c.path].bare_excepts) == 0
            && size(facts.python.services[c.path].swallowed_exceptions) == 0
            && !facts.python.services[c.path].env_vars.exists(e, e.how == "subscript")])""",
    "readme-has-developer-onboarding": """
        facts.docs.readme.present && size(facts.docs.readme.test_commands) >= 1
        && facts.docs.readme.tells_what_to_expect""",
    "rust-logs-through-log-or-tracing": """
        !facts.logging.rust.available ? null
        : facts.layout.components.filter(c, c.kind == "rust-cli").map(c, [c.name,
            c.path in facts.logging.rust.by_crate
            && facts.logging.rust.by_crate[c.path].logs_via != null
            && facts.logging.rust.by_crate[c.path].logger_initialised
            && size(facts.logging.rust.by_crate[c.path].console_output) == 0])""",
    "test-results-present": """
        facts.tests.files > 0
        && facts.tests.suites.exists(s, s.tests - s.skipped - s.collection_errors > 0)
        && size(facts.tests.zero_test_files) == 0""",
    "tests-passed": """
        facts.tests.files == 0 ? null
        : !facts.tests.suites.exists(s, s.failed + s.errors - s.collection_errors > 0)""",
    "todos-have-owner-or-ticket": """
        size(facts.todos.items.filter(t, !has(t.owner) && !has(t.ticket))) == 0""",
}
