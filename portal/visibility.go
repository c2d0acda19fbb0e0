package portal

import "net/http"

func (p *portal) visibility(h http.Handler) http.Handler { return h }
