package lib

// TODO: vendored code is excluded by collect.options.todos.exclude
