// Package authn verifies the credentials a client presents to the gateway and
// says who the caller is, or why not. It is the pure half of the admission
// stage: it knows nothing of routes or of the rest of bulwark, never logs (it
// returns an *Error whose Reason is a stable label for metrics) and starts no
// goroutine that outlives a Close or the caller's context.
//
// Four verifiers, one file each:
//
//   - JWT (jwt.go, jwks.go): a compact JWS checked against the public keys of a
//     JWKS document. Signatures, claims and algorithms are handled by
//     github.com/golang-jwt/jwt/v5, the most used and audited Go JWT library,
//     whose parser can be given a clock, a leeway, a required exp and an
//     allow-list of algorithms. JWKS documents are parsed by
//     github.com/MicahParks/jwkset (the parser behind keyfunc). keyfunc itself
//     is not used: it fetches eagerly at construction and refreshes from a
//     goroutine of its own, while the rules below want a lazy first fetch,
//     one coalesced fetch per miss, a hard floor between fetches and keys kept
//     across failed refreshes, so the small fetcher in jwks.go owns that.
//   - API keys (apikey.go): keys are configured only as SHA-256 digests.
//   - Basic (basic.go, passhash.go, basiccache.go): bcrypt and argon2id hashes,
//     with a bounded cache of recent successes and a bound on concurrent hashing.
//   - Forward (forward.go): asks an external auth service, as Traefik's ForwardAuth.
//
// Security rules kept here, each with a test:
//
//   - Keys come only from the configured JWKS URL. Redirects are not followed
//     and the token's jku, x5u, jwk and x5c headers are never read, so a token
//     cannot bring or point at its own key.
//   - "none" and every HS* algorithm are refused at configuration: a JWKS holds
//     public keys, and HMAC keyed with a public key is the classic algorithm
//     confusion attack. The token's alg must be allowed, must fit the key's type
//     and curve, and must equal the key's own alg when the JWK names one.
//   - A token without exp is refused; exp, nbf and iat get a bounded leeway.
//   - An unknown kid triggers at most one JWKS fetch per RefreshMin, whatever
//     the rate of such tokens, and concurrent misses share one fetch. A JWKS
//     body is capped at 1 MiB. A failed refresh keeps the last good keys.
//   - Tokens longer than MaxTokenBytes are refused before any parsing.
//   - Error details never contain the token, key or password.
//   - Password hashing is bounded: hash parameters are capped when the
//     configuration is loaded, concurrent hash computations are capped with a
//     semaphore that refuses ("busy") rather than queues, and an unknown user
//     costs one real hash comparison so timing does not reveal which users exist.
package authn
