#!/usr/bin/python3
"""Verify a Latchkey access token with stock PyJWT (Debian's python3-jwt), the way a Python service would.

Usage: verify_token.py JWKS_URL ISSUER AUDIENCE  < token
The token is read from standard input (never from argv: process lists are readable by other users).
Prints one JSON object: {"valid": true, "sub": ..., "claims": {...}} or {"valid": false, "error": "..."};
exits 0 when valid, 1 when the token is refused, 2 on a usage error.
"""
import json
import sys

import jwt
from jwt import PyJWKClient

ALLOWED_ALGORITHMS = ["ES256", "EdDSA", "RS256"]  # asymmetric only: never "none" or HS*


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    jwks_url, issuer, audience = sys.argv[1:4]
    token = sys.stdin.read().strip()
    try:
        header = jwt.get_unverified_header(token)
        # RFC 9068 §4: an access token carries typ "at+jwt"; refuse anything else (e.g. an ID token).
        if header.get("typ", "").lower() not in ("at+jwt", "application/at+jwt"):
            raise jwt.InvalidTokenError("typ is not at+jwt")
        if header.get("alg") not in ALLOWED_ALGORITHMS:
            raise jwt.InvalidAlgorithmError("alg not allowed")
        signing_key = PyJWKClient(jwks_url, cache_keys=True).get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            signing_key.key,
            algorithms=ALLOWED_ALGORITHMS,
            audience=audience,
            issuer=issuer,
            leeway=30,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
        )
    except (jwt.PyJWTError, ValueError) as err:
        print(json.dumps({"valid": False, "error": type(err).__name__, "detail": str(err)}))
        return 1
    print(json.dumps({"valid": True, "sub": claims["sub"], "claims": claims}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
