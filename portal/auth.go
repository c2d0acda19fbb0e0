package portal

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
)

// RequireUsers protects h with HTTP basic authentication against users (name
// → password), compared in constant time. With no users, h is returned as
// is: the portal is open by default, like the services it documents, and
// then hides instance addresses unless portal.instances says shown.
func RequireUsers(users map[string]string, h http.Handler) http.Handler {
	if len(users) == 0 {
		return h
	}
	want := map[string][32]byte{}
	for u, p := range users {
		want[u] = sha256.Sum256([]byte(p))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		sum := sha256.Sum256([]byte(pass))
		expected, known := want[user]
		if !ok || !known || subtle.ConstantTimeCompare(sum[:], expected[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="bulwark portal", charset="UTF-8"`)
			http.Error(w, "the portal needs a user name and password", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
