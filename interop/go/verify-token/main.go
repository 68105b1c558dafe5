// Command verify-token verifies a Latchkey access token with the standard library and the stock
// golang-jwt library (Debian's golang-github-golang-jwt-jwt-dev), the way a Go service would.
//
// Usage: verify-token JWKS_URL ISSUER AUDIENCE < token
//
// The token is read from standard input (never argv). It prints one JSON object,
// {"valid":true,"sub":...} or {"valid":false,"error":...}, and exits 0 when valid, 1 when refused.
package main

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/golang-jwt/jwt"
)

type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	N   string `json:"n"`
	E   string `json:"e"`
}

func b64(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

func fetchKeys(url string) ([]jwk, error) {
	client := &http.Client{Timeout: 5 * time.Second}
	res, err := client.Get(url)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks: HTTP %d", res.StatusCode)
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&set); err != nil {
		return nil, err
	}
	return set.Keys, nil
}

// publicKey turns a JWK into a Go public key, refusing a key whose type does not fit the token's alg.
func publicKey(k jwk, alg string) (interface{}, error) {
	if k.Alg != "" && k.Alg != alg {
		return nil, errors.New("key is published for another algorithm")
	}
	switch {
	case alg == "ES256" && k.Kty == "EC" && k.Crv == "P-256":
		x, err1 := b64(k.X)
		y, err2 := b64(k.Y)
		if err1 != nil || err2 != nil {
			return nil, errors.New("bad EC key")
		}
		pub := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(y)}
		if !pub.Curve.IsOnCurve(pub.X, pub.Y) {
			return nil, errors.New("EC point not on curve")
		}
		return pub, nil
	case alg == "EdDSA" && k.Kty == "OKP" && k.Crv == "Ed25519":
		x, err := b64(k.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			return nil, errors.New("bad OKP key")
		}
		return ed25519.PublicKey(x), nil
	case alg == "RS256" && k.Kty == "RSA":
		n, err1 := b64(k.N)
		e, err2 := b64(k.E)
		if err1 != nil || err2 != nil {
			return nil, errors.New("bad RSA key")
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if pub.N.BitLen() < 2048 {
			return nil, errors.New("RSA key under 2048 bits")
		}
		return pub, nil
	}
	return nil, errors.New("no usable key for this algorithm")
}

func verify(jwksURL, issuer, audience, token string) (jwt.MapClaims, error) {
	keys, err := fetchKeys(jwksURL)
	if err != nil {
		return nil, err
	}
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"ES256", "EdDSA", "RS256"}))
	claims := jwt.MapClaims{}
	_, err = parser.ParseWithClaims(token, claims, func(t *jwt.Token) (interface{}, error) {
		if typ, _ := t.Header["typ"].(string); !strings.EqualFold(typ, "at+jwt") {
			return nil, errors.New("typ is not at+jwt")
		}
		kid, _ := t.Header["kid"].(string)
		alg, _ := t.Header["alg"].(string)
		for _, k := range keys {
			if k.Kid == kid {
				return publicKey(k, alg)
			}
		}
		return nil, errors.New("unknown kid")
	})
	if err != nil {
		return nil, err // covers signature, exp, nbf and iat
	}
	if !claims.VerifyIssuer(issuer, true) {
		return nil, errors.New("wrong issuer")
	}
	if !claims.VerifyAudience(audience, true) {
		return nil, errors.New("wrong audience")
	}
	if _, ok := claims["exp"]; !ok {
		return nil, errors.New("missing exp")
	}
	return claims, nil
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: verify-token JWKS_URL ISSUER AUDIENCE < token")
		os.Exit(2)
	}
	raw, _ := io.ReadAll(io.LimitReader(os.Stdin, 64<<10))
	claims, err := verify(os.Args[1], os.Args[2], os.Args[3], strings.TrimSpace(string(raw)))
	out := json.NewEncoder(os.Stdout)
	if err != nil {
		out.Encode(map[string]interface{}{"valid": false, "error": err.Error()})
		os.Exit(1)
	}
	out.Encode(map[string]interface{}{"valid": true, "sub": claims["sub"], "claims": claims})
}
