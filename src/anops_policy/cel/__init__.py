"""The CEL runtime behind policies: the only package that imports celpy and cel_expr_python (guard rails,
rewriting, flattening, the native backend). May import the shared leaves only."""
