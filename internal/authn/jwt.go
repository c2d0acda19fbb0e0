package authn

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Defaults of JWTConfig's zero values.
const (
	DefaultClockSkew     = 30 * time.Second
	DefaultRefreshMin    = 30 * time.Second
	DefaultRefreshEvery  = 15 * time.Minute
	DefaultMaxTokenBytes = 8 << 10
	defaultFetchTimeout  = 5 * time.Second
)

// DefaultAlgorithms returns the algorithms allowed when JWTConfig.Algorithms
// is empty: every asymmetric JWS algorithm golang-jwt implements.
func DefaultAlgorithms() []string {
	return []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
}

// JWTConfig configures a JWT verifier. The zero value of each optional field
// selects the default named in its comment.
type JWTConfig struct {
	// JWKSURL is where the public keys are fetched from, and the only place.
	// Required; http or https.
	JWKSURL string
	// Issuer, when set, must equal the token's iss.
	Issuer string
	// Audiences, when set, must contain one of the token's aud values.
	Audiences []string
	// Algorithms allowed in the token's alg header; empty means
	// DefaultAlgorithms(). "none" and HS* are refused: see the package doc.
	Algorithms []string
	// ClockSkew is the leeway for exp, nbf and iat. 0 means
	// DefaultClockSkew (30s); negative is invalid.
	ClockSkew time.Duration
	// ConsumerClaim names the claim that holds the consumer; default "sub".
	// A token whose claim is missing or not a non-empty string is refused.
	ConsumerClaim string
	// RefreshMin is the least time between two JWKS fetches, whatever
	// triggers them (an unknown kid, stale keys, a failed fetch). 0 means
	// DefaultRefreshMin (30s).
	RefreshMin time.Duration
	// RefreshEvery is the age after which keys are refetched on next use.
	// 0 means DefaultRefreshEvery (15m).
	RefreshEvery time.Duration
	// MaxTokenBytes caps the token length, checked before any parsing.
	// 0 means DefaultMaxTokenBytes (8 KiB).
	MaxTokenBytes int
	// Client fetches the JWKS. Nil means a client of the verifier's own with
	// a 5s timeout. Redirects are never followed, even with a given Client.
	Client *http.Client
}

// JWT verifies compact JWS tokens against the keys of one JWKS URL. It is
// safe for concurrent use. Close it when done.
type JWT struct {
	keys          *jwksSource
	parser        *jwt.Parser
	algorithms    []string
	consumerClaim string
	maxTokenBytes int
	now           func() time.Time
	// verified remembers the tokens that verified (jwtcache.go).
	verified *verified
}

// NewJWT validates cfg and returns a verifier. It does not fetch: the JWKS
// is fetched on the first Verify.
func NewJWT(cfg JWTConfig) (*JWT, error) {
	return newJWT(cfg, time.Now)
}

// newJWT is NewJWT with a clock, which tests replace.
func newJWT(cfg JWTConfig, now func() time.Time) (*JWT, error) {
	if err := checkURL("JWKSURL", cfg.JWKSURL); err != nil {
		return nil, err
	}
	algs, err := checkAlgorithms(cfg.Algorithms)
	if err != nil {
		return nil, err
	}
	for name, d := range map[string]time.Duration{"ClockSkew": cfg.ClockSkew, "RefreshMin": cfg.RefreshMin, "RefreshEvery": cfg.RefreshEvery} {
		if d < 0 {
			return nil, fmt.Errorf("%w: %s %v is negative", ErrConfig, name, d)
		}
	}
	if cfg.MaxTokenBytes < 0 {
		return nil, fmt.Errorf("%w: MaxTokenBytes %d is negative", ErrConfig, cfg.MaxTokenBytes)
	}
	opts := []jwt.ParserOption{
		jwt.WithLeeway(orDefault(cfg.ClockSkew, DefaultClockSkew)),
		jwt.WithTimeFunc(now),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithStrictDecoding(), // one encoding per token: no malleable trailing bits
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if len(cfg.Audiences) > 0 {
		opts = append(opts, jwt.WithAudience(cfg.Audiences...))
	}
	var own *http.Transport
	if cfg.Client == nil {
		own = newTransport(defaultFetchTimeout)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &JWT{
		keys: &jwksSource{
			url:          cfg.JWKSURL,
			client:       noRedirects(cfg.Client, own, defaultFetchTimeout),
			ownTransport: own,
			timeout:      defaultFetchTimeout,
			refreshMin:   orDefault(cfg.RefreshMin, DefaultRefreshMin),
			refreshEvery: orDefault(cfg.RefreshEvery, DefaultRefreshEvery),
			now:          now,
			ctx:          ctx,
			cancel:       cancel,
		},
		parser:        jwt.NewParser(opts...),
		algorithms:    algs,
		consumerClaim: orDefault(cfg.ConsumerClaim, "sub"),
		maxTokenBytes: orDefault(cfg.MaxTokenBytes, DefaultMaxTokenBytes),
		now:           now,
		verified:      newVerified(orDefault(cfg.ClockSkew, DefaultClockSkew), orDefault(cfg.RefreshEvery, DefaultRefreshEvery)),
	}, nil
}

// checkAlgorithms returns the allowed algorithms, refusing symmetric and
// unsigned ones by name so the error says why.
func checkAlgorithms(algs []string) ([]string, error) {
	if len(algs) == 0 {
		return DefaultAlgorithms(), nil
	}
	for _, a := range algs {
		switch {
		case strings.EqualFold(a, "none"):
			return nil, fmt.Errorf("%w: algorithm %q accepts unsigned tokens", ErrConfig, a)
		case strings.HasPrefix(strings.ToUpper(a), "HS"):
			return nil, fmt.Errorf("%w: algorithm %q is symmetric; with a JWKS of public keys it allows algorithm confusion", ErrConfig, a)
		case !slices.Contains(DefaultAlgorithms(), a):
			return nil, fmt.Errorf("%w: algorithm %q is not supported", ErrConfig, a)
		}
	}
	return slices.Clone(algs), nil
}

// Verify checks token, a bare compact JWS (without "Bearer "), and returns
// the identity it proves. A refusal is an *Error.
func (j *JWT) Verify(ctx context.Context, token string) (Identity, error) {
	if token == "" {
		return Identity{}, refuse(ReasonMissing, "no token was presented", nil)
	}
	if len(token) > j.maxTokenBytes {
		return Identity{}, refuse(ReasonTooLarge, "the token is too large", nil)
	}
	now := j.now()
	if cur := j.keys.cur.Load(); cur != nil {
		if id, ok := j.verified.get(token, cur, now); ok {
			return id, nil
		}
	}
	// The key set before parsing: a token verified under it is remembered
	// with it, so a refresh during the parse can only make the memory miss.
	set := j.keys.cur.Load()
	claims := jwt.MapClaims{}
	_, err := j.parser.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		return j.key(ctx, t)
	})
	if err != nil {
		return Identity{}, jwtError(err, claims)
	}
	consumer, ok := claims[j.consumerClaim].(string)
	if !ok || consumer == "" {
		return Identity{}, refuse(ReasonMalformed, fmt.Sprintf("the token has no %q claim naming the consumer", j.consumerClaim), nil)
	}
	id := Identity{Consumer: consumer, Method: MethodJWT, Scopes: scopes(claims)}
	if set == nil {
		set = j.keys.cur.Load() // the first Verify fetched the keys
	}
	exp, _ := claims.GetExpirationTime()
	nbf, _ := claims.GetNotBefore()
	if exp != nil {
		var notBefore time.Time
		if nbf != nil {
			notBefore = nbf.Time
		}
		j.verified.put(token, id, set, notBefore, exp.Time)
	}
	return id, nil
}

// key chooses the verification key for t. Only the kid and alg headers are
// read: jku, x5u, jwk and x5c are ignored, so a token cannot supply its key.
func (j *JWT) key(ctx context.Context, t *jwt.Token) (any, error) {
	if _, ok := t.Header["crit"]; ok {
		// RFC 7515 4.1.11: extensions we do not understand must be refused.
		return nil, refuse(ReasonMalformed, "the token has critical header extensions", nil)
	}
	alg := t.Method.Alg()
	if !slices.Contains(j.algorithms, alg) {
		return nil, refuse(ReasonAlgorithm, "the token's algorithm is not allowed", nil)
	}
	kid, _ := t.Header["kid"].(string)
	k, err := j.keys.lookup(ctx, kid)
	if err != nil {
		return nil, err
	}
	if k.alg != "" && k.alg != alg {
		return nil, refuse(ReasonAlgorithm, "the token's algorithm does not match its key", nil)
	}
	if !fits(alg, k.key) {
		return nil, refuse(ReasonAlgorithm, "the token's algorithm does not fit its key type", nil)
	}
	return k.key, nil
}

// fits reports whether key is of the type and curve that alg needs.
func fits(alg string, key any) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		switch alg {
		case "ES256":
			return k.Curve == elliptic.P256()
		case "ES384":
			return k.Curve == elliptic.P384()
		case "ES512":
			return k.Curve == elliptic.P521()
		}
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// jwtError maps a parse failure to a refusal. The checks run from the most
// specific cause to the least, as golang-jwt joins several. claims tells a
// missing exp from a missing aud, which golang-jwt reports alike.
func jwtError(err error, claims jwt.MapClaims) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return refuse(ReasonMalformed, "the token is malformed", err)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrInvalidKeyType):
		return refuse(ReasonBadSignature, "the token's signature is invalid", err)
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		if _, ok := claims["exp"]; !ok {
			return refuse(ReasonMalformed, "the token has no expiry (exp)", err)
		}
		return refuse(ReasonWrongAudience, "the token has no audience", err)
	case errors.Is(err, jwt.ErrTokenExpired):
		return refuse(ReasonExpired, "the token has expired", err)
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return refuse(ReasonNotYetValid, "the token is not valid yet", err)
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return refuse(ReasonWrongIssuer, "the token's issuer is not accepted", err)
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return refuse(ReasonWrongAudience, "the token's audience is not accepted", err)
	}
	return refuse(ReasonMalformed, "the token is malformed", err)
}

// scopes reads "scope" (space-separated) or, failing that, "scp" (a string or
// an array of strings).
func scopes(c jwt.MapClaims) []string {
	if s, ok := c["scope"].(string); ok {
		return strings.Fields(s)
	}
	switch v := c["scp"].(type) {
	case string:
		return strings.Fields(v)
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s, ok := x.(string); ok && s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// Close stops any JWKS fetch in flight, waits for it, and drops idle
// connections. Verify after Close still uses the keys already fetched.
func (j *JWT) Close() { j.keys.close() }

// orDefault returns v, or def when v is zero.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
