"""Who is calling the decision service and what they may do: OIDC tokens verified against their issuer's
keys (the only package that imports a JWT library), the server's issuer configuration, the authorisation
policy over a caller's verified claims, and the token ``eval --server`` sends."""
