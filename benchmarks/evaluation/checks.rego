package checks

# The pack's checks in Rego, written the way a Rego author would: one rule per policy over `input`
# (the fact document). A check that does not apply is absent from `result`; a per-subject check is an
# object subject -> bool.

import rego.v1

facts := input

# `all`/`any` are gone from current Rego: the same over a list of booleans
all_true(xs) if {
	every x in xs {
		x == true
	}
}

default all_true(_) := false

any_true(xs) if {
	some x in xs
	x == true
}

default any_true(_) := false

rust_clis := [c | some c in facts.layout.components; c.kind == "rust-cli"]

python_services := [c | some c in facts.layout.components; c.kind == "python-service"]

default_codes := [
	"base-latest", "full-base-image", "build-tools-in-final-stage", "apt-install-recommends",
	"apt-lists-kept", "apk-cache-kept", "rpm-cache-kept", "pip-cache-kept", "npm-cache-kept",
	"install-files-left", "no-dockerignore", "add-url", "runs-as-root",
]

days_behind := object.get(facts.docs.action_plan, "days_behind_code", 0)

result["action-plan-current"] := ok if {
	"action_plan" in object.keys(facts.layout.docs)
	plan := facts.docs.action_plan
	ok := all_true([
		plan.present,
		days_behind <= 30,
		count(plan.references.missing_paths) == 0,
		count(plan.references.unknown_commands) == 0,
		count(plan.commands_not_mentioned) == 0,
	])
}

result["ci-does-not-mask-test-failures"] := count(facts.ci.masked_test_steps) == 0 if facts.ci.present

result["ci-publishes-test-reports"] := ok if {
	facts.ci.present
	count(facts.ci.test_commands) > 0
	reported := [t | some t in facts.ci.test_commands; t.report_path != null]
	ok := all_true([facts.ci.reports_published, facts.ci.reports_on_failure, count(reported) > 0])
}

e2e_command(t) if "e2e" in t.kinds

e2e_command(t) if {
	some x in t.targets
	x in facts.layout.e2e
}

runs_file(t, f) if f in t.targets

runs_file(t, f) if {
	some x in t.targets
	startswith(f, concat("", [x, "/"]))
}

runs_file(t, _) if count(t.targets) == 0

result["ci-runs-e2e-tests"] := ok if {
	count(facts.layout.e2e) > 0
	commands := [t | some t in facts.ci.test_commands; e2e_command(t)]
	unrun := [f | some f in facts.layout.e2e; not any_runs(commands, f)]
	ok := all_true([facts.ci.present, count(commands) > 0, count(unrun) == 0])
}

any_runs(commands, f) if {
	some t in commands
	runs_file(t, f)
}

needed_kinds(kind) := ["unit", "integration"] if kind == "rust-cli"

needed_kinds(kind) := ["unit"] if kind == "python-service"

needed_kinds(kind) := [] if not kind in {"rust-cli", "python-service"}

component_runs(c, k) if {
	some t in facts.ci.test_commands
	c.name in t.components
	k in t.kinds
}

component_tested(c) if {
	some t in facts.ci.test_commands
	c.name in t.components
}

result["ci-tests-every-component"] := {c.name: ok |
	some c in facts.layout.components
	ok := all_true([facts.ci.present, component_tested(c), every_kind(c)])
}

every_kind(c) if {
	every k in needed_kinds(c.kind) {
		component_runs(c, k)
	}
}

default component_tested(_) := false

default every_kind(_) := false

result["cli-avoids-panics-on-user-paths"] := {p: ok |
	some p, file in facts.rust.files
	some c in rust_clis
	c.path == file.crate
	ok := count(file.panics) == 0
}

command_tested(crate, k) if {
	some i in crate.tests.integration
	some t in i.tests
	k in t.invoked_commands
}

cli_commands_tested(c) if {
	crate := facts.rust.crates[c.path]
	every k in c.commands {
		command_tested(crate, k)
	}
}

default cli_commands_tested(_) := false

result["cli-commands-have-integration-tests"] := {c.name: cli_commands_tested(c) |
	some c in rust_clis
	count(object.get(c, "commands", [])) > 0
}

mocks(c) if {
	crate := facts.rust.crates[c.path]
	crate.tests.integration_test_count > 0
	crate.tests.mocks_external_commands
}

default mocks(_) := false

result["cli-tests-mock-external-commands"] := {c.name: mocks(c) | some c in rust_clis}

dir_checks(path, key) := object.get(object.get(facts.grpc.by_dir, path, {}), key, 0)

result["cli-tests-verify-built-artifacts"] := {c.name: ok |
	some c in rust_clis
	count(object.get(c, "commands", [])) > 0
	any_true([facts.grpc.counts.protos > 0, count(facts.dockerfiles.paths) > 0])
	code_ok := any_true([facts.grpc.counts.protos == 0, dir_checks(c.path, "generated_code_checks") > 0])
	image_ok := any_true([count(facts.dockerfiles.paths) == 0, dir_checks(c.path, "image_checks") > 0])
	ok := all_true([code_ok, image_ok])
}

result["dockerfiles-bake-in-no-secrets"] := {p: ok |
	count(facts.dockerfiles.paths) > 0
	some p in facts.dockerfiles.paths
	ok := count(facts.dockerfiles.by_path[p].secrets) == 0
}

all_parsed if {
	every p in facts.dockerfiles.paths {
		facts.dockerfiles.by_path[p].parsed
	}
}

default all_parsed := false

result["dockerfiles-install-nothing-unnecessary"] := {code: ok |
	count(facts.dockerfiles.paths) > 0
	some code in default_codes
	files := [p | some p in facts.dockerfiles.paths; some x in facts.dockerfiles.by_path[p].problems; x.code == code]
	ok := all_true([count(files) == 0, all_parsed])
}

result["e2e-tests-cover-negative-paths"] := ok if {
	some f in facts.layout.e2e
	f in object.keys(facts.python.test_files)
	negative := [t | some t in facts.python.e2e.negative_path_tests; t.path in facts.layout.e2e]
	ok := count(negative) >= 2
}

result["e2e-tests-tear-down"] := {f: ok |
	some f in facts.layout.e2e
	f in object.keys(facts.python.test_files)
	leaks := [s | some s in facts.python.e2e.starts_without_teardown; s.path == f]
	ok := count(leaks) == 0
}

result["engineer-signed-off"] := facts.signoff.current.signed_off

env_tested(service, e) if e.name in service.test_signals.env_vars_set

env_tested(service, e) if e.name in service.test_signals.env_vars_deleted

required_env_tested(_, e) if not e.required

required_env_tested(service, e) if env_tested(service, e)

grpc_ok(c) if {
	service := facts.python.services[c.path]
	"INTERNAL" in service.test_signals.asserted_grpc_codes
	every e in service.env_vars {
		required_env_tested(service, e)
	}
}

default grpc_ok(_) := false

result["grpc-services-tested-for-internal-errors-and-env"] := {c.name: grpc_ok(c) |
	some c in python_services
	object.get(c, "protocol", "") == "grpc"
}

http_ok(c) if {
	service := facts.python.services[c.path]
	service.test_signals.tests_startup_shutdown
	service.test_signals.tests_malformed_requests
	every e in service.env_vars {
		env_tested(service, e)
	}
}

default http_ok(_) := false

result["http-services-tested-for-startup-env-and-bad-requests"] := {c.name: http_ok(c) |
	some c in python_services
	object.get(c, "protocol", "") == "http"
}

result["no-todos-in-release-files"] := {f: ok |
	some f in facts.layout.release_files
	found := [t | some t in facts.todos.items; t.path == f]
	ok := count(found) == 0
}

logging_ok(c) if {
	service := facts.logging.python.by_service[c.path]
	service.configured
	service.level_from_env
	service.has_format
	count(service.prints) == 0
}

default logging_ok(_) := false

result["python-services-configure-logging"] := {c.name: logging_ok(c) |
	facts.logging.python.available
	some c in python_services
}

result["python-services-handle-errors-explicitly"] := {c.name: ok |
	some c in python_services
	service := facts.python.services[c.path]
	subscripts := [e | some e in service.env_vars; e.how == "subscript"]
	ok := all_true([count(service.bare_excepts) == 0, count(service.swallowed_exceptions) == 0, count(subscripts) == 0])
}

result["readme-has-developer-onboarding"] := all_true([
	facts.docs.readme.present,
	count(facts.docs.readme.test_commands) >= 1,
	facts.docs.readme.tells_what_to_expect,
])

rust_logging_ok(c) if {
	crate := facts.logging.rust.by_crate[c.path]
	crate.logs_via != null
	crate.logger_initialised
	count(crate.console_output) == 0
}

default rust_logging_ok(_) := false

result["rust-logs-through-log-or-tracing"] := {c.name: rust_logging_ok(c) |
	facts.logging.rust.available
	some c in rust_clis
}

some_ran if {
	some s in facts.tests.suites
	((s.tests - s.skipped) - s.collection_errors) > 0
}

default some_ran := false

result["test-results-present"] := all_true([facts.tests.files > 0, some_ran, count(facts.tests.zero_test_files) == 0])

some_failed if {
	some s in facts.tests.suites
	((s.failed + s.errors) - s.collection_errors) > 0
}

default some_failed := false

result["tests-passed"] := count([1 | some_failed]) == 0 if facts.tests.files > 0

result["todos-have-owner-or-ticket"] := count(untracked) == 0 if {
	untracked := [t | some t in facts.todos.items; not t.owner; not t.ticket]
}
