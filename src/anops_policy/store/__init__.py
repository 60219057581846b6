"""The central decision store's database side: the only psycopg user. It keeps rows, heads and objects
and serialises appends per stream; what a record means (its canonical form, hash and signature) is
audit/'s business, handed in as callables, so this package imports only the shared leaves."""
